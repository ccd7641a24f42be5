// A private etcd server for tests that change cluster-wide state (compaction) or need
// small server limits: started on free ports with its data in a TempDir, stopped on
// destruction; Pause/Resume freeze and thaw it. The binary is $CAIRN_ETCD_BIN or /usr/bin/etcd.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "meta_store/etcd_client.h"
#include "testing/test_util.h"

extern char** environ;

namespace cairn::testing {

class EtcdTestServer {
 public:
  // `extra_flags` e.g. {"--max-txn-ops", "8"}.
  explicit EtcdTestServer(std::vector<std::string> extra_flags = {}) {
    const char* bin = std::getenv("CAIRN_ETCD_BIN");
    const std::string binary = bin ? bin : "/usr/bin/etcd";
    client_port_ = FreePort();
    int peer_port = FreePort();
    const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
    std::vector<std::string> args = {binary,
                                     "--name=t",
                                     "--data-dir=" + dir_.Sub("data"),
                                     "--listen-client-urls=" + client,
                                     "--advertise-client-urls=" + client,
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=t=" + peer};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // etcd 3.4 logs only to stdout/stderr: both go to a file in the temp dir.
    const std::string log = dir_.Sub("etcd.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = 0;
      return;
    }
    EtcdClient probe("127.0.0.1", client_port_, "probe", /*timeout_ms=*/1000);
    etcdserverpb::RangeRequest request;
    request.set_key(std::string(1, '\0'));
    for (int i = 0; i < 300 && !ready_; ++i) {
      ready_ = probe.Range(request).ok();
      if (ready_ || waitpid(pid_, nullptr, WNOHANG) == pid_) break;  // ready, or it exited
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~EtcdTestServer() {
    if (pid_ <= 0) return;
    kill(pid_, SIGCONT);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  EtcdTestServer(const EtcdTestServer&) = delete;
  EtcdTestServer& operator=(const EtcdTestServer&) = delete;

  bool ready() const { return ready_; }
  std::string url(const std::string& prefix = "") const {
    return "etcd://127.0.0.1:" + std::to_string(client_port_) + prefix;
  }
  int port() const { return client_port_; }
  pid_t pid() const { return pid_; }
  // Freezes the server (SIGSTOP): connections stay open and calls go unanswered.
  void Pause() { kill(pid_, SIGSTOP); }
  void Resume() { kill(pid_, SIGCONT); }

 private:
  TempDir dir_;
  int client_port_ = 0;
  pid_t pid_ = 0;
  bool ready_ = false;
};

}  // namespace cairn::testing
