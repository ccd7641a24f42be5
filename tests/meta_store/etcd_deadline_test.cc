// etcd:// call deadlines (?timeout_ms=N): a server that never answers and a server that
// freezes mid-use make calls fail with Unavailable naming etcd and the timeout, not
// hang; once the server answers again the same store object commits and reads, and
// its revision and data agree with what etcd applied.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "meta_store/etcd_test_server.h"
#include "meta_store/meta_store.h"

namespace cairn::testing {
namespace {

// A TCP listener that accepts connections (in the kernel's backlog) and never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

void ExpectTimedOut(const Status& status, const std::string& endpoint, const std::string& ms) {
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable) << status.ToString();
  EXPECT_NE(status.message().find("etcd at " + endpoint), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("timed out after " + ms + " ms"), std::string::npos)
      << status.ToString();
}

TEST(EtcdDeadline, ListenerThatNeverAnswersTimesOutAtOpen) {
  SilentListener listener;
  ASSERT_GT(listener.port(), 0);
  const std::string endpoint = "127.0.0.1:" + std::to_string(listener.port());
  auto store = OpenMetaStore("etcd://" + endpoint + "/cairn?timeout_ms=300");
  ASSERT_FALSE(store.ok());
  ExpectTimedOut(store.status(), endpoint, "300");
}

TEST(EtcdDeadline, TimeoutMustBeAPositiveWholeNumberOfMilliseconds) {
  for (const char* bad : {"0", "-5", "abc", "1.5", "", "3600001"}) {
    auto store = OpenMetaStore(std::string("etcd://127.0.0.1:2379/p?timeout_ms=") + bad);
    ASSERT_FALSE(store.ok()) << bad;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << store.status().ToString();
    EXPECT_NE(store.status().message().find("timeout_ms"), std::string::npos)
        << store.status().ToString();
  }
}

TEST(EtcdDeadline, FrozenServerFailsCallsAndTheStoreRecoversWhenItAnswers) {
  EtcdTestServer server;
  ASSERT_TRUE(server.ready()) << "could not start etcd";
  const std::string endpoint = "127.0.0.1:" + std::to_string(server.port());
  auto store = OpenMetaStore(server.url("/frozen?timeout_ms=2000"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Txn first;
  first.ops.push_back(Op::Put("a", "1"));
  ASSERT_EQ((*store)->Commit(first).status(), Status::OK());
  // Remembered state for the next commit's guard: the freeze must not confuse it.
  ASSERT_EQ((*store)->Commit(first).status(), Status::OK());

  server.Pause();
  Txn during;
  during.compares.push_back(Compare::Absent("x"));
  during.ops.push_back(Op::Put("x", "while frozen"));
  auto frozen = (*store)->Commit(during);
  ASSERT_FALSE(frozen.ok());
  ExpectTimedOut(frozen.status(), endpoint, "2000");
  EXPECT_NE(frozen.status().message().find("Txn"), std::string::npos);
  auto read = (*store)->Snapshot();
  ASSERT_FALSE(read.ok());
  ExpectTimedOut(read.status(), endpoint, "2000");
  server.Resume();
  // Wait until etcd answers again (a loaded machine can take seconds to schedule it), so
  // what follows tests the recovered store, not the thaw's latency.
  auto probe = OpenMetaStore(server.url("/frozen?timeout_ms=60000"));
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  ASSERT_TRUE((*probe)->Snapshot().ok());

  // The timed-out txn may have been applied after the thaw; either way the next commit
  // gets the next revision and sees the truth.
  Txn after;
  after.ops.push_back(Op::Put("b", "2"));
  auto revision = (*store)->Commit(after);
  ASSERT_TRUE(revision.ok()) << revision.status().ToString();
  auto snapshot = (*store)->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->revision(), *revision);
  auto x = (*snapshot)->Get("x");
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(*revision, x->has_value() ? 4 : 3);
  auto b = (*snapshot)->Get("b");
  ASSERT_TRUE(b.ok() && b->has_value()) << b.status().ToString();
  EXPECT_EQ((*b)->value, "2");
  EXPECT_EQ((*b)->mod_revision, *revision);
  // A compare on the key written while frozen is decided by what etcd holds.
  auto again = (*store)->Commit(during);
  EXPECT_EQ(again.ok(), !x->has_value()) << again.status().ToString();
}

}  // namespace
}  // namespace cairn::testing
