#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace cairn::server {

RateLimiter::RateLimiter(Clock* clock, int burst, int64_t refill_ms)
    : clock_(clock),
      burst_(burst),
      refill_ms_(refill_ms),
      tokens_(burst),
      last_ms_(clock->NowMillis()) {}

Status RateLimiter::Acquire(const char* what) {
  std::lock_guard lock(mu_);
  int64_t now = clock_->NowMillis();
  if (now > last_ms_) {
    tokens_ = std::min<double>(burst_, tokens_ + static_cast<double>(now - last_ms_) / refill_ms_);
    last_ms_ = now;
  }
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return Status::OK();
  }
  auto wait_ms = static_cast<int64_t>(std::ceil((1 - tokens_) * refill_ms_));
  return Status::Busy(std::string(what) + " is rate-limited (" + std::to_string(burst_) +
                      " calls, then one per " + std::to_string(refill_ms_ / 1000) +
                      " s); retry in " + std::to_string((wait_ms + 999) / 1000) + " s");
}

}  // namespace cairn::server
