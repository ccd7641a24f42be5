// BackupSchedule: how often the server takes a backup, and which of the backups it took
// it keeps (docs/cli.md "backup schedule"). Pure logic: no stores, no clock.
//
// Retention considers only the schedule's own backups (remarks kScheduledRemarks); a
// backup taken by hand is never deleted by it. Of those it keeps the union of
//   keep_last N    the N newest,
//   keep_hourly N  the newest of each of the N newest UTC hours that hold one,
//   keep_daily N   likewise per UTC day, keep_weekly N per week (Monday to Sunday, UTC),
// and, whatever the policy says, on every timeline the backup the PITR window needs: the
// newest backup (scheduled or not) created at or before now - pitr_retention — a restore
// to any instant of the window starts there or later — or, when every backup of the
// timeline is younger, the oldest one (the window's recoverable range starts at it).
// A schedule with every keep_* 0 keeps all its backups (no retention).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backup/manifest.h"
#include "common/result.h"

namespace cairn {

inline constexpr std::string_view kScheduledRemarks = "scheduled";
inline constexpr int64_t kMinScheduleEveryMs = 1000;
inline constexpr int64_t kMaxScheduleEveryMs = 366LL * 86'400'000;
inline constexpr int64_t kMaxScheduleKeep = 100'000;

struct BackupSchedule {
  int64_t every_ms = 0;
  int64_t keep_last = 0, keep_hourly = 0, keep_daily = 0, keep_weekly = 0;
  int64_t set_ms = 0;      // when it was set: the first backup is due at set_ms + every_ms
  bool copy_data = false;  // self-contained backups (--copy-data; absent in old records)

  bool KeepsAll() const { return keep_last + keep_hourly + keep_daily + keep_weekly == 0; }
  bool operator==(const BackupSchedule&) const = default;
};

// InvalidArgument naming the field: every outside [1s, 366d], a keep_* outside
// [0, 100000].
Status ValidateSchedule(const BackupSchedule& schedule);

// JSON: {"every_ms":..,"keep_last":..,"keep_hourly":..,"keep_daily":..,"keep_weekly":..,
// "set_ms":..,"copy_data":..}. Decode validates (Corruption otherwise).
std::string EncodeSchedule(const BackupSchedule& schedule);
Result<BackupSchedule> DecodeSchedule(std::string_view text);

// Ids of the scheduled backups in `backups` that retention deletes, ascending.
std::vector<uint64_t> BackupsToExpire(const BackupSchedule& schedule,
                                      const std::vector<SnapshotEntry>& backups, int64_t now_ms,
                                      int64_t pitr_retention_ms);

}  // namespace cairn
