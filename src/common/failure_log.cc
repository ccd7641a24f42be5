#include "common/failure_log.h"

#include "common/logging.h"

namespace cairn {

FailureLog::FailureLog(std::string what, Clock* clock, int64_t log_every_ms)
    : what_(std::move(what)),
      clock_(clock ? clock : SystemClock::Default()),
      log_every_ms_(log_every_ms) {}

void FailureLog::Failed(const Status& status) {
  const int64_t now = clock_->NowMillis();
  std::lock_guard lock(mu_);
  state_.total++;
  if (state_.consecutive++ == 0) state_.since_ms = now;
  state_.last_error = status.ToString();
  if (state_.consecutive == 1 || now - logged_ms_ >= log_every_ms_) {
    CAIRN_LOG_WARN("{} failed ({} in a row, logged at most once a minute): {}", what_,
                   state_.consecutive, state_.last_error);
    logged_ms_ = now;
  }
}

void FailureLog::Succeeded() {
  std::lock_guard lock(mu_);
  if (state_.consecutive == 0) return;
  CAIRN_LOG_INFO("{} recovered after {} failure(s)", what_, state_.consecutive);
  state_.consecutive = 0;
  state_.last_error.clear();
}

FailureState FailureLog::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

}  // namespace cairn
