// Shutdown and startup never hang (issue 14; docs/server.md "Shutdown", "Health"),
// through the real binaries and a meta store that hangs: a TCP listener that accepts
// and never answers, or a proxy to the test etcd that stops forwarding.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <thread>

#include "cli_fixture.h"
#include "common/url.h"
#include "tcp_proxy.h"

namespace cairn::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class ShutdownTest : public CliTest {
 protected:
  // A server on an etcd meta store behind `proxy` and an fs object store.
  void StartBehind(const TcpProxy& proxy, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--meta-store",
                                     "etcd://127.0.0.1:" + std::to_string(proxy.port()) +
                                         "/cairn-test/shutdown-" + std::to_string(getpid()) + "-" +
                                         std::to_string(counter_++),
                                     "--object-store",
                                     "fs://" + dir_.Sub("data"),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--lease-ttl",
                                     "2s"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(kCairn, dir_.path().string());
    ASSERT_TRUE(server_->Start(args, {{"CAIRN_AUTH_TOKEN_FILE", ""}})) << server_->error();
    server_addr_ = server_->addr();
  }
  // Starts `cairn put t K V` and returns its pid (output in dir_).
  pid_t SpawnPut(const std::string& key) {
    return SpawnProcess({kCairn, "put", "t", key, "v", "--addr", server_addr_}, dir_.Sub("put.out"),
                        dir_.Sub("put.err"), {{"CAIRN_ADDR", ""}, {"CAIRN_AUTH_TOKEN_FILE", ""}});
  }
  int EtcdPort() {
    auto url = Url::Parse(ExternalEndpoint("CAIRN_TEST_ETCD_URL"));
    return url.ok() ? url->port : 0;
  }
  static inline int counter_ = 0;
};

TEST_F(ShutdownTest, StartupAgainstAHungMetaStoreExitsOnSigterm) {
  TcpProxy hung;  // accepts, never answers
  pid_t pid = SpawnProcess(
      {kCairn, "server", "--meta-store", "etcd://127.0.0.1:" + std::to_string(hung.port()) + "/x",
       "--object-store", "fs://" + dir_.Sub("data"), "--listen", "127.0.0.1:0"},
      dir_.Sub("server.out"), dir_.Sub("server.err"), {{"CAIRN_AUTH_TOKEN_FILE", ""}});
  ASSERT_TRUE(WaitFor([&] { return hung.accepted() > 0; }, 30s)) << "never reached the store";
  std::this_thread::sleep_for(200ms);
  ASSERT_FALSE(WaitForExit(pid, 0ms).has_value()) << ReadFile(dir_.Sub("server.err"));
  kill(pid, SIGTERM);
  auto code = WaitForExit(pid, 10s);
  int reaped = WaitProcess(pid, 10);
  ASSERT_TRUE(code.has_value()) << "SIGTERM did not stop a server stuck opening its store";
  EXPECT_EQ(reaped, 1);
  std::string err = ReadFile(dir_.Sub("server.err"));
  EXPECT_NE(err.find("error: received SIGTERM while starting; exiting"), std::string::npos) << err;
  EXPECT_EQ(ReadFile(dir_.Sub("server.out")).find("listening on"), std::string::npos);
}

// A put waiting for a checkpoint whose meta-store commit hangs fails when the grace
// runs out; a second SIGTERM then exits at once, with the engine still stuck.
TEST_F(ShutdownTest, BlockedPutFailsAfterTheGraceAndASecondSignalExitsAtOnce) {
  CAIRN_REQUIRE_EXTERNAL(etcd, "CAIRN_TEST_ETCD_URL");
  TcpProxy proxy(EtcdPort());
  StartBehind(proxy, {"--shutdown-grace", "1s"});
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "before", "v"}));
  proxy.Freeze();
  pid_t put = SpawnPut("blocked");
  std::this_thread::sleep_for(1500ms);  // past a checkpoint interval: the put is waiting
  ASSERT_FALSE(WaitForExit(put, 0ms).has_value()) << ReadFile(dir_.Sub("put.err"));

  kill(server_->pid(), SIGTERM);
  auto put_code = WaitForExit(put, 15s);
  ASSERT_TRUE(put_code.has_value()) << "the blocked put was not failed at shutdown";
  EXPECT_EQ(WaitProcess(put, 1), 1);
  std::string put_err = ReadFile(dir_.Sub("put.err"));
  EXPECT_EQ(put_err.rfind("error: ", 0), 0u) << put_err;
  EXPECT_NE(put_err.find("closed before epoch"), std::string::npos) << put_err;

  ASSERT_FALSE(WaitForExit(server_->pid(), 0ms).has_value()) << server_->log();
  kill(server_->pid(), SIGTERM);
  auto code = WaitForExit(server_->pid(), 5s);
  ASSERT_TRUE(code.has_value()) << "a second SIGTERM did not exit at once";
  EXPECT_EQ(*code, 1);
  EXPECT_NE(server_->log().find("error: second SIGTERM: exiting without finishing the shutdown"),
            std::string::npos)
      << server_->log();
}

// Without a second signal the process exits by itself within grace + 10 s.
TEST_F(ShutdownTest, ShutdownStuckOnAHungStoreExitsWithinTheBound) {
  CAIRN_REQUIRE_EXTERNAL(etcd, "CAIRN_TEST_ETCD_URL");
  TcpProxy proxy(EtcdPort());
  StartBehind(proxy, {"--shutdown-grace", "0s"});
  ExpectOk(Cairn({"table", "create", "t"}));
  proxy.Freeze();
  pid_t put = SpawnPut("blocked");
  std::this_thread::sleep_for(1500ms);
  auto start = SteadyClock::now();
  kill(server_->pid(), SIGTERM);
  auto code = WaitForExit(server_->pid(), 20s);
  ASSERT_TRUE(code.has_value()) << "shutdown hung past its bound";
  EXPECT_LT(SteadyClock::now() - start, 15s);
  // Exit 1 when the bound cut the shutdown short; 0 only when the meta-store client gave
  // up on the hung commit by itself (a request deadline) and the shutdown completed.
  if (*code != 0) {
    EXPECT_EQ(*code, 1);
    EXPECT_NE(server_->log().find("error: shutdown did not finish in time"), std::string::npos)
        << server_->log();
  }
  WaitProcess(put, 10);
}

// /healthz tells the truth: "ok" while everything works; 503 "unhealthy" naming the
// archiver while backup storage cannot be written, and "ok" again once it can.
TEST_F(ShutdownTest, HealthzReportsAFailingArchiverAndRecovers) {
  std::string backup = dir_.Sub("backup");
  StartServer({"--backup-storage", "fs://" + backup});
  std::string health = HttpGet(server_->metrics_addr(), "/healthz");
  EXPECT_EQ(health.rfind("ok\n", 0), 0u) << health;
  EXPECT_NE(health.find("archiver: ok"), std::string::npos) << health;
  ExpectOk(Cairn({"table", "create", "t"}));

  // Backup storage that cannot be written: a file where its directory should be.
  std::filesystem::rename(backup, backup + ".moved");
  WriteFile(backup, "not a directory");
  ExpectOk(Cairn({"put", "t", "k", "v"}));
  ASSERT_TRUE(WaitFor(
      [&] {
        health = HttpGet(server_->metrics_addr(), "/healthz");
        return health.rfind("unhealthy\n", 0) == 0;
      },
      20s))
      << health;
  EXPECT_NE(health.find("archiver: failing for"), std::string::npos) << health;
  EXPECT_NE(health.find("checkpoint: ok"), std::string::npos) << health;
  std::string metrics = HttpGet(server_->metrics_addr(), "/metrics");
  EXPECT_NE(metrics.find("cairn_changelog_archive_failing 1"), std::string::npos) << metrics;

  std::filesystem::remove(backup);
  std::filesystem::rename(backup + ".moved", backup);
  ASSERT_TRUE(WaitFor(
      [&] {
        health = HttpGet(server_->metrics_addr(), "/healthz");
        return health.rfind("ok\n", 0) == 0;
      },
      20s))
      << health;
  EXPECT_EQ(server_->Stop(), 0);
}

// Past --max-changelog-backlog unarchived records, writes are refused with one clear
// error; reads keep working; writes resume once archiving catches up.
TEST_F(ShutdownTest, WritesAreRefusedPastTheChangelogBacklogAndResume) {
  std::string backup = dir_.Sub("backup");
  StartServer({"--backup-storage", "fs://" + backup, "--max-changelog-backlog", "3"});
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "k", "v1"}));
  std::filesystem::rename(backup, backup + ".moved");
  WriteFile(backup, "not a directory");
  RunResult refused;
  for (int i = 0; i < 20; ++i) {
    refused = Cairn({"put", "t", "k" + std::to_string(i), "v"});
    if (refused.exit_code != 0) break;
  }
  ExpectError(refused, "changelog records are not archived to backup storage");
  EXPECT_NE(refused.err.find("--max-changelog-backlog"), std::string::npos) << refused.err;
  RunResult read = Cairn({"get", "t", "k"});
  ExpectOk(read);
  EXPECT_EQ(read.out, "v1\n");
  std::string health = HttpGet(server_->metrics_addr(), "/healthz");
  EXPECT_NE(health.find("writes refused"), std::string::npos) << health;

  std::filesystem::remove(backup);
  std::filesystem::rename(backup + ".moved", backup);
  RunResult resumed;
  ASSERT_TRUE(WaitFor(
      [&] {
        resumed = Cairn({"put", "t", "after", "v"});
        return resumed.exit_code == 0;
      },
      20s))
      << resumed.err;
  EXPECT_EQ(server_->Stop(), 0);
}

}  // namespace
}  // namespace cairn::testing
