#include "meta/time_spec.h"

#include <gtest/gtest.h>

#include "common/epoch.h"

namespace cairn {
namespace {

TEST(TimeSpecTest, ParsesRfc3339) {
  EXPECT_EQ(*ParseRfc3339Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339Millis("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339Millis("2023-11-14T22:13:20.25Z"), 1'700'000'000'250);
  EXPECT_EQ(*ParseRfc3339Millis("2023-11-14T23:13:20+01:00"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339Millis("2023-11-14 21:13:20-01:00"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339Millis("2024-02-29T00:00:00Z"), 1'709'164'800'000);
}

TEST(TimeSpecTest, RejectsMalformedTimes) {
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-01T00:00:00Z",
                          "2023-11-14T22:13:20.Z", "yesterday", "2023-11-14T22:13:20Zjunk"}) {
    auto parsed = ParseTimeSpecToEpoch(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(TimeSpecTest, EpochNumbersPassThroughAndTimesMapToTheLastEpochOfTheirMillisecond) {
  EXPECT_EQ(*ParseTimeSpecToEpoch("123456789"), 123456789u);
  EXPECT_EQ(*ParseTimeSpecToEpoch("2023-11-14T22:13:20Z"), MaxEpochAtMillis(1'700'000'000'000));
}

TEST(TimeSpecTest, FormatRoundTrips) {
  for (int64_t ms : {0LL, 1'700'000'000'123LL, 1'709'164'800'000LL, 951'782'400'999LL}) {
    EXPECT_EQ(*ParseRfc3339Millis(FormatRfc3339Millis(ms)), ms) << FormatRfc3339Millis(ms);
  }
  EXPECT_EQ(FormatRfc3339Millis(1'700'000'000'250), "2023-11-14T22:13:20.250Z");
}

}  // namespace
}  // namespace cairn
