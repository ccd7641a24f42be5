#include "meta/duration.h"

#include <gtest/gtest.h>

#include <limits>

#include "common/epoch.h"

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

// Retention arithmetic on epochs saturates (pitr_retention 36500d used to wrap the
// compaction watermark far into the future, so compaction dropped all history).
TEST(EpochArithmeticTest, WindowsReachingBeforeTheUnixEpochStartAtEpochZero) {
  const int64_t now = 1'700'000'000'000;
  EXPECT_EQ(WindowStartEpoch(now, 36500 * 86'400'000LL), 0u);
  EXPECT_EQ(WindowStartEpoch(now, std::numeric_limits<int64_t>::max()), 0u);
  EXPECT_EQ(WindowStartEpoch(now, 0), MaxEpochAtMillis(now));
  EXPECT_EQ(WindowStartEpoch(now, 1000), MaxEpochAtMillis(now - 1000));
  EXPECT_EQ(MaxEpochAtMillis(-1), 0u);
  EXPECT_EQ(MaxEpochAtMillis(now - 36500 * 86'400'000LL), 0u);
  EXPECT_EQ(EpochFromMillis(-5), 0u);
  EXPECT_EQ(EpochToMillis(EpochFromMillis(std::numeric_limits<int64_t>::max())), kMaxEpochMillis);
}

TEST(EpochArithmeticTest, MillisecondSumsAndDifferencesClamp) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(SaturatingAddMillis(max - 1, 5), max);
  EXPECT_EQ(SaturatingAddMillis(min + 1, -5), min);
  EXPECT_EQ(SaturatingSubMillis(min + 1, 5), min);
  EXPECT_EQ(SaturatingSubMillis(5, min), max);
  EXPECT_EQ(SaturatingSubMillis(10, 3), 7);
  EXPECT_EQ(SaturatingAddMillis(10, 3), 13);
}

}  // namespace
}  // namespace cairn
