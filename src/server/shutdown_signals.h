// ShutdownSignals: the server's one reader of SIGTERM and SIGINT, which are blocked in
// every thread (threads inherit the mask of the one that calls Start, first). It makes
// sure the process never hangs on a signal (docs/server.md, "Shutdown"):
// - while starting (opening the stores may block in a call no signal interrupts: a hung
//   etcd or PostgreSQL), a signal exits the process at once;
// - while serving, the first signal begins the graceful shutdown (WaitForShutdown
//   returns); a second signal, or a shutdown still running `bound` after it began,
//   exits the process at once.
// An exit forced this way prints one `error: ...` line on stderr and exits 1; the writer
// lease, if held, is not released (another server takes it over after its TTL).
#pragma once

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cairn::server {

class ShutdownSignals {
 public:
  explicit ShutdownSignals(std::chrono::milliseconds bound) : bound_(bound) {}
  ~ShutdownSignals();

  // Blocks the signals in the calling thread and starts watching (state: starting).
  void Start();
  // Startup is over: the next signal begins a graceful shutdown.
  void Serving();
  // Blocks until the first signal while serving; returns it (SIGTERM or SIGINT).
  int WaitForShutdown();
  // The shutdown begins without a signal (startup failed): `bound` applies from now.
  void BeginShutdown();
  // The shutdown finished: stops watching.
  void Done();

 private:
  enum class State { kStarting, kServing, kStopping, kDone };
  void Watch();
  [[noreturn]] static void ExitNow(const char* why);

  const std::chrono::milliseconds bound_;
  sigset_t signals_{};
  std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kStarting;
  int signal_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

}  // namespace cairn::server
