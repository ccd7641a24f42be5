#include "meta/epoch_clock.h"

#include <algorithm>

#include "common/epoch.h"
#include "common/logging.h"

namespace cairn {
namespace {

constexpr auto kWarningInterval = std::chrono::minutes(1);

}  // namespace

uint64_t EpochClock::Reserve() {
  std::lock_guard lock(mu_);
  int64_t now_ms = ObserveLocked();
  last_issued_ = std::max(EpochFromMillis(now_ms), last_issued_ + 1);
  open_.insert(last_issued_);
  return last_issued_;
}

void EpochClock::Release(uint64_t epoch) {
  std::lock_guard lock(mu_);
  open_.erase(epoch);
}

uint64_t EpochClock::Stamp(uint64_t requested) {
  std::lock_guard lock(mu_);
  uint64_t epoch = requested;
  if (epoch == 0) {
    epoch = EpochFromMillis(ObserveLocked());
    if (!open_.empty()) epoch = std::min(epoch, *open_.begin());
  } else if (epoch < last_stamp_) {
    CAIRN_LOG_WARN("changelog epoch {} requested below the last record's {}; recorded as {}", epoch,
                   last_stamp_, last_stamp_);
  }
  epoch = std::max(epoch, last_stamp_);
  last_stamp_ = epoch;
  last_issued_ = std::max(last_issued_, epoch);
  return epoch;
}

void EpochClock::Raise(uint64_t epoch) {
  std::lock_guard lock(mu_);
  last_issued_ = std::max(last_issued_, epoch);
  last_stamp_ = std::max(last_stamp_, epoch);
}

uint64_t EpochClock::last_issued() {
  std::lock_guard lock(mu_);
  return last_issued_;
}

EpochClockStats EpochClock::stats() {
  std::lock_guard lock(mu_);
  ObserveLocked();
  return stats_;
}

int64_t EpochClock::ObserveLocked() {
  int64_t now_ms = clock_->NowMillis();
  int64_t behind = SaturatingSubMillis(EpochToMillis(last_issued_), now_ms);
  if (behind <= kClockStepToleranceMs) {
    behind_ = false;
    stats_.clock_behind_ms = 0;
    return now_ms;
  }
  stats_.clock_behind_ms = behind;
  if (!behind_) stats_.clock_steps++;
  behind_ = true;
  auto now = std::chrono::steady_clock::now();
  if (last_warning_ == std::chrono::steady_clock::time_point{} ||
      now - last_warning_ >= kWarningInterval) {
    last_warning_ = now;
    CAIRN_LOG_WARN(
        "wall clock is {} ms behind the last epoch (clock stepped back?): new epochs continue "
        "from the last one, time lookups (--as-of, --to-time) name the first pass through "
        "the repeated times, and GC/vacuum keep more until the clock catches up ({} steps "
        "seen)",
        behind, stats_.clock_steps);
  }
  return now_ms;
}

}  // namespace cairn
