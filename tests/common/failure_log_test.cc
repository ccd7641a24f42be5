// FailureLog: counts, the current run of failures and its start, cleared by a success.
#include "common/failure_log.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(FailureLogTest, TracksTheCurrentRunOfFailuresAndClearsOnSuccess) {
  ManualClock clock(1'000'000);
  FailureLog log("checkpoint", &clock);
  EXPECT_EQ(log.state().consecutive, 0u);
  log.Failed(Status::IOError("etcd timed out"));
  clock.Advance(5'000);
  log.Failed(Status::IOError("etcd timed out again"));
  FailureState s = log.state();
  EXPECT_EQ(s.total, 2u);
  EXPECT_EQ(s.consecutive, 2u);
  EXPECT_EQ(s.since_ms, 1'000'000);
  EXPECT_NE(s.last_error.find("again"), std::string::npos) << s.last_error;

  log.Succeeded();
  s = log.state();
  EXPECT_EQ(s.total, 2u);
  EXPECT_EQ(s.consecutive, 0u);
  EXPECT_TRUE(s.last_error.empty());
  clock.Advance(1'000);
  log.Failed(Status::Unavailable("down"));
  EXPECT_EQ(log.state().since_ms, 1'006'000) << "a new run starts at its first failure";
  EXPECT_EQ(log.state().consecutive, 1u);
}

}  // namespace
}  // namespace cairn
