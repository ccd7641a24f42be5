#include "server/vacuum_scheduler.h"

#include <algorithm>

#include "common/logging.h"

namespace cairn::server {

VacuumScheduler::VacuumScheduler(Cluster* cluster, Clock* clock,
                                 std::function<int64_t()> interval_ms)
    : cluster_(cluster), clock_(clock), interval_ms_(std::move(interval_ms)) {}

int64_t VacuumScheduler::RunDue() {
  int64_t interval = interval_ms_();
  int64_t now = clock_->NowMillis();
  {
    std::lock_guard lock(mu_);
    if (interval != interval_seen_) {
      interval_seen_ = interval;
      next_due_ms_ = now + interval;
    }
    if (interval == 0) return kPollMs;
    if (now < next_due_ms_) return std::min(next_due_ms_ - now, kPollMs);
  }
  auto report = cluster_->Vacuum({});
  std::lock_guard lock(mu_);
  stats_.runs++;
  next_due_ms_ = clock_->NowMillis() + interval;
  if (!report.ok()) {
    stats_.failures++;
    CAIRN_LOG_ERROR("background vacuum failed: {}", report.status().ToString());
  } else {
    stats_.last_success_ms = clock_->NowMillis();
    stats_.last_report = *report;
    if (report->deleted > 0) {
      CAIRN_LOG_INFO("background vacuum deleted {} objects ({} bytes); {} kept by the gate",
                     report->deleted, report->deleted_bytes, report->kept_by_gate);
    } else {
      CAIRN_LOG_DEBUG("background vacuum: nothing to delete ({} candidates kept by the gate)",
                      report->kept_by_gate);
    }
  }
  return std::max<int64_t>(1, std::min(next_due_ms_ - now, kPollMs));
}

void VacuumScheduler::Start() {
  task_.Start([this] { return RunDue(); });
}

void VacuumScheduler::Wake() { task_.Wake(); }

void VacuumScheduler::Stop() { task_.Stop(); }

VacuumSchedulerStats VacuumScheduler::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace cairn::server
