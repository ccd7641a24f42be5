// RetryBackoff: the delay before retrying a failed background task (checkpoint,
// compaction): doubles from `min_ms` after each failure up to `max_ms`, back to none
// after a success. Also tells when a failure should be logged: at most once a minute
// (with the count of all failures). Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>

namespace cairn {

class RetryBackoff {
 public:
  RetryBackoff(int64_t min_ms, int64_t max_ms) : min_ms_(min_ms), max_ms_(max_ms) {}

  // Records a failure at `now_ms`; returns the delay before the next attempt.
  int64_t Failed(int64_t now_ms) {
    ++failures_;
    ++streak_;
    delay_ms_ = delay_ms_ == 0 ? min_ms_ : std::min(delay_ms_ * 2, max_ms_);
    log_due_ = !logged_ || now_ms - last_log_ms_ >= kLogIntervalMs;
    if (log_due_) {
      logged_ = true;
      last_log_ms_ = now_ms;
    }
    return delay_ms_;
  }
  void Succeeded() {
    delay_ms_ = 0;
    streak_ = 0;
  }

  int64_t delay_ms() const { return delay_ms_; }  // 0 after a success
  bool log_due() const { return log_due_; }       // whether the last failure should be logged
  uint64_t streak() const { return streak_; }
  uint64_t failures() const { return failures_; }  // all failures so far

 private:
  static constexpr int64_t kLogIntervalMs = 60 * 1000;
  const int64_t min_ms_, max_ms_;
  int64_t delay_ms_ = 0;
  int64_t last_log_ms_ = 0;
  uint64_t streak_ = 0;
  uint64_t failures_ = 0;
  bool log_due_ = false;
  bool logged_ = false;
};

}  // namespace cairn
