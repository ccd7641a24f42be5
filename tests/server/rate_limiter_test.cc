#include "server/rate_limiter.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(RateLimiterTest, BurstThenOnePerRefill) {
  ManualClock clock;
  RateLimiter limiter(&clock, 3, 2000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("backup list").ok()) << i;
  Status busy = limiter.Acquire("backup list");
  EXPECT_EQ(busy.code(), ErrorCode::kBusy);
  EXPECT_NE(busy.message().find("backup list is rate-limited"), std::string::npos);
  EXPECT_NE(busy.message().find("retry in 2 s"), std::string::npos) << busy.message();
  clock.Advance(1999);
  EXPECT_FALSE(limiter.Acquire("x").ok());
  clock.Advance(1);
  EXPECT_TRUE(limiter.Acquire("x").ok());
  EXPECT_FALSE(limiter.Acquire("x").ok());
  // A long pause refills to the burst, not beyond it.
  clock.Advance(1'000'000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("x").ok()) << i;
  EXPECT_FALSE(limiter.Acquire("x").ok());
}

}  // namespace
}  // namespace cairn::server
