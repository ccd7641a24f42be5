// Runs the real `cairn` binary for end-to-end tests: one-shot commands with captured
// output, and a long-running `cairn server` whose address is read from its stdout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  std::string out;
  std::string err;
};

// Runs argv to completion (killed after `timeout_s`), feeding `input` to stdin.
// `env` entries are added to the environment ("" value = unset).
RunResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                     const std::map<std::string, std::string>& env = {}, int timeout_s = 300);

// Starts a process with stdout and stderr going to files; returns its pid.
pid_t SpawnProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                   const std::string& stderr_path,
                   const std::map<std::string, std::string>& env = {});

// Waits for `pid` up to `timeout_s`; its exit code, or -1 (signal / timeout, then killed).
int WaitProcess(pid_t pid, int timeout_s = 120);

// The exit code of `pid` once it has exited (-1 for a signal), without reaping it, so
// that its ServerProcess still owns it; nullopt while it runs past `timeout`.
std::optional<int> WaitForExit(pid_t pid, std::chrono::milliseconds timeout);

std::string ReadFile(const std::string& path);

// `cairn server ...` in the background.
class ServerProcess {
 public:
  ServerProcess(std::string binary, std::string log_dir) : binary_(binary), dir_(log_dir) {}
  ~ServerProcess();

  // Starts the server and waits for its "listening on" line. False (with the reason
  // in error()) when it exits or does not come up within the timeout.
  bool Start(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {});
  // SIGTERM and wait; the exit code.
  int Stop();

  const std::string& addr() const { return addr_; }
  const std::string& metrics_addr() const { return metrics_addr_; }
  std::string error() const { return error_; }
  std::string log() const { return ReadFile(err_path_); }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_, dir_, out_path_, err_path_;
  pid_t pid_ = -1;
  std::string addr_, metrics_addr_, error_;
  static int counter_;
};

// A plain HTTP GET against HOST:PORT; the response body ("" on failure).
std::string HttpGet(const std::string& host_port, const std::string& path);

}  // namespace cairn::testing
