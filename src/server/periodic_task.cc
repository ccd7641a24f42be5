#include "server/periodic_task.h"

#include <algorithm>
#include <chrono>

namespace cairn::server {

void PeriodicTask::Start(Step step) {
  step_ = std::move(step);
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicTask::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    int64_t wait_ms = std::max<int64_t>(1, step_());
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stopping_ || woken_; });
  }
}

}  // namespace cairn::server
