// RetryBackoff: the delay before retrying a failed background task (checkpoint,
// compaction): doubles from `min_ms` after each failure up to `max_ms`, back to none
// after a success. Logging and failure counts are FailureLog's (common/failure_log.h).
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>

namespace cairn {

class RetryBackoff {
 public:
  RetryBackoff(int64_t min_ms, int64_t max_ms) : min_ms_(min_ms), max_ms_(max_ms) {}

  // Records a failure; returns the delay before the next attempt.
  int64_t Failed() {
    delay_ms_ = delay_ms_ == 0 ? min_ms_ : std::min(delay_ms_ * 2, max_ms_);
    return delay_ms_;
  }
  void Succeeded() { delay_ms_ = 0; }

  int64_t delay_ms() const { return delay_ms_; }  // 0 after a success

 private:
  const int64_t min_ms_, max_ms_;
  int64_t delay_ms_ = 0;
};

}  // namespace cairn
