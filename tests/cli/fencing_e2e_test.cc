// End-to-end fencing of the writer lease through the real binaries (docs/server.md
// "Writer lease"): a server paused past its TTL, whose object store another server took
// over, stops writing and exits; a server killed with -9 restarts at once.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Copies the SQLite meta store of a data dir (meta.db and its WAL files) into `dir`;
// the URL of the copy.
std::string CopyMetaStore(const std::string& data_dir, const std::string& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  for (const char* name : {"meta.db", "meta.db-wal", "meta.db-shm"}) {
    fs::path from = fs::path(data_dir) / name;
    if (fs::exists(from)) fs::copy_file(from, fs::path(dir) / name);
  }
  return "sqlite://" + dir + "/meta.db";
}

class FencingTest : public CliTest {
 protected:
  // `cairn ARGS --addr ADDR`, for when two servers run.
  RunResult CairnAt(const std::string& addr, std::vector<std::string> args) {
    std::vector<std::string> argv = {kCairn};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--addr", addr});
    return RunProcess(argv, "", {{"CAIRN_ADDR", ""}, {"CAIRN_AUTH_TOKEN_FILE", ""}}, 60);
  }

  // Starts `server` with `args`, retrying while the object store is still "in use"
  // (the previous holder's lease has not expired yet) until `timeout`.
  bool StartWhenLeaseFree(ServerProcess* server, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    while (!server->Start(args, {{"CAIRN_AUTH_TOKEN_FILE", ""}})) {
      if (server->error().find("in use by another cairn server") == std::string::npos ||
          SteadyClock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(100ms);
    }
    return true;
  }
};

TEST_F(FencingTest, PausedServerWhoseLeaseWasTakenOverStopsWritingAndExits) {
  StartServer({"--lease-ttl", "1500ms"});
  ASSERT_FALSE(HasFatalFailure());
  const std::string a_addr = server_addr_;
  const pid_t a_pid = server_->pid();
  ExpectOk(CairnAt(a_addr, {"table", "create", "t"}));
  ExpectOk(CairnAt(a_addr, {"put", "t", "k", "v1"}));

  // A freezes (SIGSTOP, or a long GC pause, or a partition) with the lease held.
  ASSERT_EQ(kill(a_pid, SIGSTOP), 0);
  struct ContinueOnExit {  // a failed assertion must not leave A stopped
    pid_t pid;
    ~ContinueOnExit() {
      if (pid > 0) kill(pid, SIGCONT);
    }
  } stopped{a_pid};
  std::string meta_b = CopyMetaStore(data_dir_, dir_.Sub("meta-b"));
  std::string data = std::filesystem::canonical(data_dir_).string() + "/data";
  // B, on the same object store, may take over once A's lease (renewed every 500 ms,
  // 1.5 s TTL) has expired.
  std::this_thread::sleep_for(1500ms);
  ServerProcess b(kCairn, dir_.path().string());
  ASSERT_TRUE(StartWhenLeaseFree(&b,
                                 {"--object-store", "fs://" + data, "--meta-store", meta_b,
                                  "--listen", "127.0.0.1:0", "--lease-ttl", "1500ms"},
                                 10s))
      << b.error();
  std::string lease = ReadFile(data + "/lease/writer");
  EXPECT_NE(lease.find(":" + std::to_string(b.pid()) + ":"), std::string::npos) << lease;
  EXPECT_NE(lease.find("\"generation\":2"), std::string::npos) << lease;

  // A wakes up with a write already waiting for it: it must refuse it, and go away.
  std::string put_out = dir_.Sub("put.out"), put_err = dir_.Sub("put.err");
  pid_t put = SpawnProcess({kCairn, "put", "t", "k2", "from-a", "--addr", a_addr}, put_out, put_err,
                           {{"CAIRN_ADDR", ""}, {"CAIRN_AUTH_TOKEN_FILE", ""}});
  std::this_thread::sleep_for(300ms);  // time to connect; A answers once it runs again
  ASSERT_EQ(kill(a_pid, SIGCONT), 0);
  stopped.pid = -1;
  EXPECT_EQ(WaitProcess(put, 60), 1) << ReadFile(put_err);
  EXPECT_EQ(ReadFile(put_err).rfind("error: ", 0), 0u) << ReadFile(put_err);
  std::optional<int> a_exit = WaitForExit(a_pid, 10s);  // a few 500 ms renewal intervals
  ASSERT_TRUE(a_exit.has_value()) << "A still runs: " << server_->log();
  EXPECT_EQ(*a_exit, 1) << server_->log();
  std::string a_log = server_->log();
  EXPECT_NE(a_log.find("error: writer lease lost (taken over by "), std::string::npos) << a_log;
  EXPECT_EQ(server_->Stop(), 1);  // reaps A

  // B keeps serving, with A's committed data and without A's refused write; A left
  // B's lease alone on its way out.
  lease = ReadFile(data + "/lease/writer");
  EXPECT_NE(lease.find(":" + std::to_string(b.pid()) + ":"), std::string::npos) << lease;
  RunResult get = CairnAt(b.addr(), {"get", "t", "k"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v1\n");
  EXPECT_NE(CairnAt(b.addr(), {"get", "t", "k2"}).exit_code, 0);
  ExpectOk(CairnAt(b.addr(), {"put", "t", "k3", "from-b"}));
  EXPECT_EQ(CairnAt(b.addr(), {"scan", "t"}).out, "k\tv1\nk3\tfrom-b\n");
  EXPECT_EQ(b.Stop(), 0) << b.log();
}

TEST_F(FencingTest, ServerKilledWithSigkillRestartsAtOnce) {
  StartServer();  // the default 15 s TTL
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "k", "v"}));
  const pid_t dead = server_->pid();
  ASSERT_EQ(kill(dead, SIGKILL), 0);
  EXPECT_EQ(server_->Stop(), -1);  // reaps it: its PID is gone from this host

  auto start = SteadyClock::now();
  StartServer();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_LT(SteadyClock::now() - start, 10s);  // well inside the dead lease's 15 s
  std::string log = server_->log();
  EXPECT_NE(log.find("taking over the writer lease of "), std::string::npos) << log;
  EXPECT_NE(log.find(":" + std::to_string(dead) + ":"), std::string::npos) << log;
  RunResult get = Cairn({"get", "t", "k"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v\n");
  EXPECT_EQ(server_->Stop(), 0) << server_->log();
}

TEST_F(FencingTest, LeaseTtlOutOfRangeIsAStartupError) {
  auto server = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {kCairn,    "server",   "--data-dir",
                                     data_dir_, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, "", {{"CAIRN_AUTH_TOKEN_FILE", ""}}, 30);
  };
  ExpectError(server({"--lease-ttl", "500ms"}), "--lease-ttl '500ms' is out of range");
  ExpectError(server({"--lease-ttl", "2h"}), "--lease-ttl '2h' is out of range");
  ExpectError(server({"--lease-ttl", "soon"}), "--lease-ttl");
  std::string config = dir_.Sub("cairn.toml");
  WriteFile(config, "lease_ttl = \"100ms\"\n");
  ExpectError(server({"--config", config}), "'100ms' is out of range");
}

}  // namespace
}  // namespace cairn::testing
