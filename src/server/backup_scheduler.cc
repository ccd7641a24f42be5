#include "server/backup_scheduler.h"

#include <algorithm>

#include "backup/schedule_store.h"
#include "common/logging.h"
#include "meta/duration.h"

namespace cairn::server {
namespace {

std::string IdList(const std::vector<uint64_t>& ids) {
  std::string out;
  for (uint64_t id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out.empty() ? "none" : out;
}

int64_t NewestScheduled(const Manifest& manifest) {
  int64_t newest = 0;
  for (const auto& e : manifest.snapshots) {
    if (e.remarks == kScheduledRemarks) newest = std::max(newest, e.created_ms);
  }
  return newest;
}

}  // namespace

BackupScheduler::BackupScheduler(MetaStore* meta, BackupService* backups, Clock* clock,
                                 std::function<int64_t()> pitr_retention_ms)
    : meta_(meta),
      backups_(backups),
      clock_(clock),
      pitr_retention_ms_(std::move(pitr_retention_ms)) {}

Result<std::optional<BackupSchedule>> BackupScheduler::Refresh() {
  CAIRN_ASSIGN_OR_RETURN(auto schedule, LoadBackupSchedule(meta_));
  {
    std::lock_guard lock(mu_);
    if (schedule == state_.schedule) return schedule;
  }
  int64_t newest = 0;
  if (schedule) {
    CAIRN_ASSIGN_OR_RETURN(Manifest manifest, backups_->List());
    newest = NewestScheduled(manifest);
  }
  std::lock_guard lock(mu_);
  state_.schedule = schedule;
  state_.last_success_ms = std::max(state_.last_success_ms, newest);
  retry_at_ms_ = 0;
  state_.next_due_ms =
      schedule ? std::max(schedule->set_ms, state_.last_success_ms) + schedule->every_ms : 0;
  return schedule;
}

int64_t BackupScheduler::RunDue() {
  auto schedule = Refresh();
  if (!schedule.ok()) {
    CAIRN_LOG_WARN("backup schedule: {}", schedule.status().ToString());
    return kPollMs;
  }
  if (!*schedule) return kPollMs;
  int64_t now = clock_->NowMillis();
  int64_t due = 0;
  {
    std::lock_guard lock(mu_);
    due = std::max(state_.next_due_ms, retry_at_ms_);
  }
  if (now < due) return std::min(due - now, kPollMs);

  ScheduleRun run = RunBackup(**schedule, now);
  std::lock_guard lock(mu_);
  state_.runs++;
  if (run.backup_id != 0) {
    state_.last_success_ms = std::max(state_.last_success_ms, run.started_ms);
    state_.next_due_ms = state_.last_success_ms + (*schedule)->every_ms;
  }
  if (run.ok) {
    retry_at_ms_ = 0;
  } else {
    state_.failures++;
    retry_at_ms_ = now + std::min((*schedule)->every_ms, kPollMs);
  }
  state_.last_run = run;
  return std::max<int64_t>(1, std::max(state_.next_due_ms, retry_at_ms_) - now);
}

ScheduleRun BackupScheduler::RunBackup(const BackupSchedule& schedule, int64_t now_ms) {
  ScheduleRun run;
  run.started_ms = now_ms;
  auto entry = backups_->Create(std::string(kScheduledRemarks), {.copy_data = schedule.copy_data});
  Status status = entry.status();
  if (entry.ok()) {
    run.backup_id = entry->id;
    run.started_ms = entry->created_ms;
    status = ApplyRetention(schedule, &run);
  }
  run.duration_ms = clock_->NowMillis() - now_ms;
  run.ok = status.ok();
  if (run.ok) {
    CAIRN_LOG_INFO("scheduled backup {} taken ({} SSTs) in {} ms; retention deleted backups {}",
                   run.backup_id, entry->sst_count, run.duration_ms, IdList(run.expired));
  } else {
    run.error = status.message();
    CAIRN_LOG_ERROR("scheduled backup failed{}: {}",
                    run.backup_id ? " (backup " + std::to_string(run.backup_id) +
                                        " taken, retention deleted " + IdList(run.expired) + ")"
                                  : "",
                    status.ToString());
  }
  return run;
}

Status BackupScheduler::ApplyRetention(const BackupSchedule& schedule, ScheduleRun* run) {
  if (schedule.KeepsAll()) return Status::OK();
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, backups_->List());
  std::vector<uint64_t> expire =
      BackupsToExpire(schedule, manifest.snapshots, clock_->NowMillis(), pitr_retention_ms_());
  for (uint64_t id : expire) {
    Status deleted = backups_->Delete(id);
    if (!deleted.ok() && !deleted.IsNotFound()) {
      return deleted.WithContext("retention: delete backup " + std::to_string(id));
    }
    run->expired.push_back(id);
  }
  return Status::OK();
}

void BackupScheduler::Start() {
  task_.Start([this] { return RunDue(); });
}

void BackupScheduler::Wake() { task_.Wake(); }

void BackupScheduler::Stop() { task_.Stop(); }

BackupSchedulerState BackupScheduler::state() {
  std::lock_guard lock(mu_);
  return state_;
}

}  // namespace cairn::server
