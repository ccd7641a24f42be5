#include "server/shutdown_signals.h"

#include <unistd.h>

#include <string>

namespace cairn::server {

ShutdownSignals::~ShutdownSignals() { Done(); }

void ShutdownSignals::Start() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  thread_ = std::thread([this] { Watch(); });
}

void ShutdownSignals::Serving() {
  std::lock_guard lock(mu_);
  if (state_ == State::kStarting) state_ = State::kServing;
}

int ShutdownSignals::WaitForShutdown() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return state_ == State::kStopping || state_ == State::kDone; });
  return signal_;
}

void ShutdownSignals::BeginShutdown() {
  std::lock_guard lock(mu_);
  if (state_ != State::kStarting && state_ != State::kServing) return;
  state_ = State::kStopping;
  deadline_ = std::chrono::steady_clock::now() + bound_;
  cv_.notify_all();
}

void ShutdownSignals::Done() {
  {
    std::lock_guard lock(mu_);
    state_ = State::kDone;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// _exit, not exit: other threads may be stuck holding locks that destructors and atexit
// handlers would wait for.
void ShutdownSignals::ExitNow(const char* why) {
  std::string line = std::string("error: ") + why + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  _exit(1);
}

void ShutdownSignals::Watch() {
  const timespec poll{0, 100'000'000};  // 100 ms: how soon Done() and the bound are seen
  for (;;) {
    siginfo_t info;
    int sig = sigtimedwait(&signals_, &info, &poll);
    std::unique_lock lock(mu_);
    if (state_ == State::kDone) return;
    if (sig < 0) {
      if (state_ == State::kStopping && std::chrono::steady_clock::now() >= deadline_) {
        ExitNow(
            "shutdown did not finish in time (a store not answering?); exiting without "
            "releasing the writer lease");
      }
      continue;
    }
    switch (state_) {
      case State::kStarting:
        ExitNow(sig == SIGTERM ? "received SIGTERM while starting; exiting"
                               : "received SIGINT while starting; exiting");
      case State::kServing:
        state_ = State::kStopping;
        signal_ = sig;
        deadline_ = std::chrono::steady_clock::now() + bound_;
        cv_.notify_all();
        break;
      case State::kStopping:
        ExitNow(sig == SIGTERM ? "second SIGTERM: exiting without finishing the shutdown"
                               : "second SIGINT: exiting without finishing the shutdown");
      case State::kDone:
        return;
    }
  }
}

}  // namespace cairn::server
