// RateLimiter: a token bucket for expensive RPCs (backup list, show, verify read the
// backup storage: listings, snapshots, segments). `burst` calls at once, then one
// more every `refill_ms`. Thread-safe; time from the injected clock.
#pragma once

#include <cstdint>
#include <mutex>

#include "common/clock.h"
#include "common/status.h"

namespace cairn::server {

class RateLimiter {
 public:
  RateLimiter(Clock* clock, int burst, int64_t refill_ms);

  // OK and one token taken, or Busy saying when to retry.
  Status Acquire(const char* what);

 private:
  Clock* const clock_;
  const int burst_;
  const int64_t refill_ms_;
  std::mutex mu_;
  double tokens_;
  int64_t last_ms_;
};

}  // namespace cairn::server
