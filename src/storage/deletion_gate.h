// DeletionGate: the ONE place that decides whether vacuum may delete an SST object
// (design.md §3, §5). Every deletion of a data object goes through MayDelete.
//
// An object may be deleted only if
//   - it left the version at a stale epoch older than the PITR retention window (a
//     restore to any time inside the window never references it); orphans, which were
//     never in a committed version, have no stale epoch;
//   - its object-store mtime is at least vacuum_min_age old (in-flight uploads of a
//     checkpoint or compaction are younger);
//   - no backup (and no clone registration: external_pins) pins it;
//   - no timeline pin keeps it (an older timeline's object, inside the PITR window of
//     that timeline: meta/backup_pins.h TimelinePin).
//
// Backup pins (meta/backup_pins.h) are loaded once per vacuum pass in Refresh();
// one key per backup, checked by binary search (docs/backup-format.md).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "meta/backup_pins.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct DeletionCandidate {
  uint64_t object_id = 0;
  std::string key;                      // object-store key, for the reason text
  std::optional<uint64_t> stale_epoch;  // unset for orphans
  int64_t mtime_ms = 0;
};

struct DeletionGateOptions {
  Clock* clock = nullptr;
  int64_t pitr_retention_ms = 0;
  int64_t vacuum_min_age_ms = 0;
  // More pins, loaded by every Refresh (clone registrations, docs/clones.md); unset = none.
  std::function<Result<std::vector<BackupPin>>()> external_pins;
};

class DeletionGate {
 public:
  DeletionGate(MetaStore* meta, const DeletionGateOptions& options)
      : meta_(meta), options_(options) {}

  // Reloads what decisions depend on: the clock reading and the backup pins.
  // Call once per vacuum pass.
  Status Refresh();

  // True when `c` may be deleted now; otherwise `reason` says why not.
  bool MayDelete(const DeletionCandidate& c, std::string* reason) const;

 private:
  MetaStore* const meta_;
  const DeletionGateOptions options_;
  int64_t now_ms_ = 0;
  PinSet pins_;  // backup pins, loaded by Refresh
  std::optional<TimelinePin> timeline_pin_;
};

}  // namespace cairn
