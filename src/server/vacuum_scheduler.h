// VacuumScheduler: the server's background vacuum (docs/server.md "Background vacuum"):
// a plain (not full) Cluster::Vacuum every `vacuum_interval` (the value in force; 0 =
// off). The first run is one interval after the start (or after the param changed).
// Every run is logged (at info when it deleted something, else at debug; failures at
// error) and counted.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "common/clock.h"
#include "server/periodic_task.h"
#include "storage/cluster.h"

namespace cairn::server {

struct VacuumSchedulerStats {
  uint64_t runs = 0, failures = 0;
  int64_t last_success_ms = 0;  // 0 = none yet
  VacuumReport last_report;
};

class VacuumScheduler {
 public:
  VacuumScheduler(Cluster* cluster, Clock* clock, std::function<int64_t()> interval_ms);

  // Vacuums when due; returns ms until the next round is needed. Tests call it directly.
  int64_t RunDue();

  void Start();
  void Wake();  // after vacuum_interval changed: the next run is one new interval away
  void Stop();

  VacuumSchedulerStats stats();

 private:
  static constexpr int64_t kPollMs = 60'000;

  Cluster* const cluster_;
  Clock* const clock_;
  const std::function<int64_t()> interval_ms_;
  PeriodicTask task_;

  std::mutex mu_;
  VacuumSchedulerStats stats_;
  int64_t interval_seen_ = -1;  // the interval next_due_ms_ was computed with
  int64_t next_due_ms_ = 0;
};

}  // namespace cairn::server
