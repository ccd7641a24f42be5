// Clock: the only source of time. Injected everywhere so tests control time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace cairn {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch.
  virtual int64_t NowMillis() = 0;
  // Blocks (or, for simulated clocks, advances time) for `ms` milliseconds.
  virtual void SleepMillis(int64_t ms) = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void SleepMillis(int64_t ms) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  // Process-wide instance for production wiring.
  static SystemClock* Default() {
    static SystemClock clock;
    return &clock;
  }
};

// A clock that moves only when told to; SleepMillis advances it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMillis() override { return now_ms_.load(); }
  void SleepMillis(int64_t ms) override { Advance(ms); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }
  void Set(int64_t ms) { now_ms_.store(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace cairn
