#include "meta/duration.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(*ParseDurationMs("0"), 0);
  EXPECT_EQ(*ParseDurationMs("500ms"), 500);
  EXPECT_EQ(*ParseDurationMs("30s"), 30'000);
  EXPECT_EQ(*ParseDurationMs("5m"), 300'000);
  EXPECT_EQ(*ParseDurationMs("6h"), 6 * 3'600'000);
  EXPECT_EQ(*ParseDurationMs("7d"), 7 * 86'400'000LL);
  EXPECT_EQ(*ParseDurationMs("0s"), 0);
}

TEST(DurationTest, RejectsOtherFormsWithAClearMessage) {
  for (const char* bad : {"", "s", "5", "-5s", "1.5s", "1h30m", "5 s", "5S", "5sec", "5w", "ms",
                          "99999999999999999999d"}) {
    auto parsed = ParseDurationMs(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("'" + std::string(bad) + "'"), std::string::npos)
        << parsed.status().message();
  }
}

TEST(DurationTest, FormatRoundTrips) {
  for (int64_t ms : {0LL, 1LL, 500LL, 1000LL, 1500LL, 60'000LL, 3'600'000LL, 86'400'000LL, 90'000LL,
                     7 * 86'400'000LL}) {
    auto parsed = ParseDurationMs(FormatDurationMs(ms));
    ASSERT_TRUE(parsed.ok()) << FormatDurationMs(ms);
    EXPECT_EQ(*parsed, ms);
  }
  EXPECT_EQ(FormatDurationMs(6 * 3'600'000), "6h");
  EXPECT_EQ(FormatDurationMs(1500), "1500ms");
}

}  // namespace
}  // namespace cairn
