// PeriodicTask: one background thread that runs a step, waits as long as the step
// asks (or until Wake), and repeats until Stop. The step decides everything about
// time (through its own injected Clock); the wait itself is real time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace cairn::server {

class PeriodicTask {
 public:
  // Runs one round; returns how long to wait before the next, in ms (at least 1 is used).
  using Step = std::function<int64_t()>;

  PeriodicTask() = default;
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // The first round runs at once.
  void Start(Step step);
  // Ends the current wait (a round in progress finishes first).
  void Wake();
  // Waits for a round in progress, then joins. Idempotent.
  void Stop();

 private:
  void Loop();

  Step step_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::server
