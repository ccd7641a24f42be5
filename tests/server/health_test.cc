// ComputeHealth: 200 "ok" only while the lease is held and nothing fails; otherwise 503
// "unhealthy" with one line per check naming what fails and since when.
#include "server/health.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(HealthTest, OkWhenEverythingWorks) {
  HealthInput in;
  in.archiving = true;
  Health h = ComputeHealth(in, 10'000);
  EXPECT_EQ(h.http_status, 200);
  EXPECT_EQ(h.body, "ok\nlease: ok\ncheckpoint: ok\ncompaction: ok\narchiver: ok\n");
  in.archiving = false;
  EXPECT_EQ(ComputeHealth(in, 10'000).body, "ok\nlease: ok\ncheckpoint: ok\ncompaction: ok\n");
}

TEST(HealthTest, EachFailureKindMakesItUnhealthyAndIsNamed) {
  HealthInput base;
  base.archiving = true;
  struct Case {
    const char* line;
    std::function<void(HealthInput*)> fail;
  };
  std::vector<Case> cases = {
      {"lease: lost: Busy: taken over",
       [](HealthInput* in) { in->lease = Status::Busy("taken over"); }},
      {"checkpoint: failing for 12 s (3 in a row): IOError: etcd timed out",
       [](HealthInput* in) {
         in->checkpoint = {5, 3, 8'000, "IOError: etcd timed out"};
       }},
      {"compaction: failing for 0 s (1 in a row): InvalidArgument: too large",
       [](HealthInput* in) {
         in->compaction = {1, 1, 20'000, "InvalidArgument: too large"};
       }},
      {"archiver: failing for 5 s, 42 records not archived",
       [](HealthInput* in) {
         in->archiver.failing = true;
         in->archiver.failing_since_ms = 15'000;
         in->archiver.backlog_records = 42;
       }},
      {"; writes refused: 9 changelog records",
       [](HealthInput* in) {
         in->backlog = Status::FailedPrecondition("writes refused: 9 changelog records");
       }},
  };
  for (const auto& c : cases) {
    HealthInput in = base;
    c.fail(&in);
    Health h = ComputeHealth(in, 20'000);
    EXPECT_EQ(h.http_status, 503) << c.line;
    EXPECT_EQ(h.body.rfind("unhealthy\n", 0), 0u) << h.body;
    EXPECT_NE(h.body.find(c.line), std::string::npos) << h.body;
  }
}

}  // namespace
}  // namespace cairn::server
