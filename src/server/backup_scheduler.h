// BackupScheduler: takes the backups of the stored schedule (backup/schedule_store.h)
// and applies its retention (backup/schedule_policy.h), on a background thread of the
// server (docs/server.md "Scheduled backups").
//
// A backup is due every_ms after the newer of the schedule's set time and the newest
// scheduled backup (read from the manifest when the schedule is first seen, so a
// restart does not take an extra one). After each backup, retention deletes the
// scheduled backups the policy does not keep. A failed run is logged and counted, and
// retried after min(every, 1 min). Every run is logged.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/schedule_policy.h"
#include "common/clock.h"
#include "server/periodic_task.h"

namespace cairn::server {

struct ScheduleRun {
  int64_t started_ms = 0;
  int64_t duration_ms = 0;
  bool ok = false;
  std::string error;              // when !ok
  uint64_t backup_id = 0;         // 0 when the backup failed
  std::vector<uint64_t> expired;  // deleted by retention
};

struct BackupSchedulerState {
  std::optional<BackupSchedule> schedule;
  int64_t next_due_ms = 0;  // 0 without a schedule
  std::optional<ScheduleRun> last_run;
  uint64_t runs = 0, failures = 0;
  int64_t last_success_ms = 0;  // created time of the newest scheduled backup (0 = none)
};

class BackupScheduler {
 public:
  // `pitr_retention_ms` gives the value in force (it protects what the window needs).
  BackupScheduler(MetaStore* meta, BackupService* backups, Clock* clock,
                  std::function<int64_t()> pitr_retention_ms);

  // One round: reads the schedule; takes the backup and applies retention when one is
  // due. Returns the ms until the next round is needed. Tests call it directly.
  int64_t RunDue();

  void Start();  // RunDue on a thread
  void Wake();   // after the schedule changed
  void Stop();

  BackupSchedulerState state();

 private:
  static constexpr int64_t kPollMs = 60'000;
  // Reads the schedule; on a change, the newest scheduled backup from the manifest.
  Result<std::optional<BackupSchedule>> Refresh();
  ScheduleRun RunBackup(const BackupSchedule& schedule, int64_t now_ms);
  Status ApplyRetention(const BackupSchedule& schedule, ScheduleRun* run);

  MetaStore* const meta_;
  BackupService* const backups_;
  Clock* const clock_;
  const std::function<int64_t()> pitr_retention_ms_;
  PeriodicTask task_;

  std::mutex mu_;  // guards state_, retry_at_ms_
  BackupSchedulerState state_;
  int64_t retry_at_ms_ = 0;
};

}  // namespace cairn::server
