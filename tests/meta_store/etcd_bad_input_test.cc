// etcd:// with bad input: malformed URLs, a server that is down, server limits, a
// snapshot whose history was compacted, values written by another program. Tests that
// change cluster-wide state or need small limits run a private etcd server.
#include <gtest/gtest.h>
#include <unistd.h>

#include "meta_store/etcd_layout.h"
#include "meta_store/etcd_test_server.h"
#include "meta_store/etcd_test_util.h"
#include "meta_store/meta_store.h"

namespace cairn::testing {
namespace {

constexpr char kSecret[] = "Hunter2-not-the-password";

Txn Puts(int n, const std::string& value = "v") {
  Txn txn;
  for (int i = 0; i < n; ++i) txn.ops.push_back(Op::Put("k" + std::to_string(i), value));
  return txn;
}

int64_t EtcdRevision(EtcdClient& client) {
  etcdserverpb::RangeRequest request;
  request.set_key(std::string(1, '\0'));
  auto reply = client.Range(request);
  EXPECT_TRUE(reply.ok()) << reply.status().ToString();
  return reply.ok() ? reply->header().revision() : 0;
}

TEST(EtcdUrl, MalformedUrlsAreInvalidArgumentsWithoutSecrets) {
  for (const std::string& text : std::vector<std::string>{
           "etcd://",                                            // no host
           "etcd:///prefix",                                     // no host
           "etcd://root:" + std::string(kSecret) + "@h:2379/p",  // auth unsupported
           "etcd://h:2379/p?password=" + std::string(kSecret),   // no parameters
           "etcd://h:0/p",                                       // bad port
           "etcd://u:" + std::string(kSecret) + "@h:65536/p",    // bad port and secret
       }) {
    auto store = OpenMetaStore(text);
    ASSERT_FALSE(store.ok()) << text;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << store.status().ToString();
    EXPECT_EQ(store.status().ToString().find(kSecret), std::string::npos)
        << store.status().ToString();
  }
}

TEST(EtcdBadInput, ServerDownIsUnavailableNamingHostAndPort) {
  const int port = FreePort();  // nothing listens there
  auto store = OpenMetaStore("etcd://127.0.0.1:" + std::to_string(port) + "/cairn");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << store.status().ToString();
}

TEST(EtcdBadInput, SnapshotOlderThanCompactionIsAbortedAndNewOnesWork) {
  EtcdTestServer server;
  ASSERT_TRUE(server.ready()) << "could not start etcd";
  auto store = OpenMetaStore(server.url("/compact"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Commit(Puts(1, "old")).ok());
  auto old = (*store)->Snapshot();
  ASSERT_TRUE(old.ok());
  ASSERT_EQ((*old)->revision(), 1);
  ASSERT_TRUE((*store)->Commit(Puts(2, "new")).ok());

  EtcdClient client("127.0.0.1", server.port(), "test");
  etcdserverpb::CompactionRequest compaction;
  compaction.set_revision(EtcdRevision(client));
  auto compacted = client.Compact(compaction);
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();

  auto get = (*old)->Get("k0");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.status().code(), ErrorCode::kAborted) << get.status().ToString();
  EXPECT_NE(get.status().message().find("compacted past snapshot revision 1"), std::string::npos)
      << get.status().ToString();
  EXPECT_NE(get.status().message().find("retry the backup"), std::string::npos);
  auto range = (*old)->Range("", "", 10);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), ErrorCode::kAborted) << range.status().ToString();

  auto fresh = (*store)->Snapshot();
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->revision(), 2);
  auto kv = (*fresh)->Get("k0");
  ASSERT_TRUE(kv.ok() && kv->has_value()) << kv.status().ToString();
  EXPECT_EQ((*kv)->value, "new");
}

TEST(EtcdBadInput, ServerLimitsAreInvalidArgumentNamingTheFlagAndWriteNothing) {
  EtcdTestServer server({"--max-txn-ops=8", "--max-request-bytes=65536"});
  ASSERT_TRUE(server.ready()) << "could not start etcd";
  auto store = OpenMetaStore(server.url("/limits"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  // Each commit also writes the store's revision key: 7 puts fit in 8 etcd ops, 8 do not.
  EXPECT_EQ((*store)->Commit(Puts(7)).status(), Status::OK());
  auto many = (*store)->Commit(Puts(8));
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), ErrorCode::kInvalidArgument) << many.status().ToString();
  EXPECT_NE(many.status().message().find("--max-txn-ops"), std::string::npos)
      << many.status().ToString();
  EXPECT_NE(many.status().message().find("9 etcd operations"), std::string::npos)
      << many.status().ToString();

  auto big = (*store)->Commit(Puts(1, std::string(100'000, 'x')));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), ErrorCode::kInvalidArgument) << big.status().ToString();
  EXPECT_NE(big.status().message().find("--max-request-bytes"), std::string::npos)
      << big.status().ToString();

  auto snapshot = (*store)->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->revision(), 1) << "refused commits must not write";
  auto k7 = (*snapshot)->Get("k7");
  ASSERT_TRUE(k7.ok());
  EXPECT_FALSE(k7->has_value());
  EXPECT_EQ((*(*snapshot)->Get("k0"))->value, "v");
}

TEST(EtcdBadInput, ForeignValueUnderThePrefixIsCorruption) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_ETCD_URL");
  const std::string name = "foreign_" + std::to_string(getpid());
  auto store = OpenMetaStore(WithPrefix(base, name));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto client = ClientFor(base);
  EtcdLayout layout("/cairn-test/" + name);
  etcdserverpb::PutRequest request;
  request.set_key(layout.DataKey("k"));
  request.set_value("abc");
  auto put = client->Put(request);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto kv = (*store)->Get("k");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().code(), ErrorCode::kCorruption) << kv.status().ToString();
  EXPECT_NE(kv.status().message().find("'k'"), std::string::npos) << kv.status().ToString();
  DeleteEtcdPrefix(base, name);
}

TEST(EtcdBadInput, DescribeForLogIsTheUrl) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_ETCD_URL");
  auto store = OpenMetaStore(WithPrefix(base, "describe"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->DescribeForLog(), WithPrefix(base, "describe"));
}

}  // namespace
}  // namespace cairn::testing
