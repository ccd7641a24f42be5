// Point-in-time restore (design.md §6, docs/pitr.md): the newest snapshot at or before
// the target, then the archived changelog replayed in seq order up to the first record
// after the target. Works from backup storage alone (the meta store may be lost).
// Same safety rules as snapshot restore (restore_target.h): lease, identity and target
// checked before anything is written, dry run writes nothing, a failed write leaves the
// target empty or marked unfinished, id generators go above everything ever issued.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backup/manifest.h"
#include "backup/restore_target.h"
#include "backup/sst_copy.h"
#include "common/clock.h"
#include "common/result.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

struct PointInTimeOptions {
  // The target: exactly one of to_time (`--to-time`, RFC 3339, or an epoch number),
  // to_epoch (`--to-epoch`), or to_latest (everything archived).
  std::string to_time;
  uint64_t to_epoch = 0;
  bool to_latest = false;
  // The archiver runs every checkpoint interval, so the archive is known to describe
  // the cluster up to the last archived record + one interval (docs/pitr.md).
  int64_t checkpoint_interval_ms = 1000;
  Clock* clock = nullptr;  // "now", for refusing targets in the future
  bool overwrite = false;  // replace a non-empty target of the same cluster
  bool dry_run = false;    // verify and plan, write nothing anywhere
  bool force = false;      // restore although a server's lease is live (it is known dead)
  // The timeline to follow (`--timeline`); 0 = the newest timeline of the backup storage.
  uint32_t timeline = 0;
  // Read the next archived segment on a second thread while applying one. Off for a
  // deterministic order of store operations (the simulator replays its faults by seed).
  bool read_ahead = true;
  // From a self-contained base backup: SSTs copied back at once (sst_copy.h).
  int copy_threads = 4;
  CopyProgress* copy_progress = nullptr;  // may be null
  std::function<void(const std::string&)> progress;
  const CloneSpec* clone = nullptr;  // set: create this clone (restore_target.h)
};

struct RecoverableRange {
  uint32_t timeline = 1;  // the timeline whose history (backup/timeline.h) it describes
  bool empty = true;      // no snapshot: nothing can be restored
  // The PITR retention moved the lower bound up (vacuum may already have deleted what
  // older instants need); with `empty`, nothing but the backups themselves is restorable.
  bool clamped_by_retention = false;
  uint64_t from_epoch = 0;
  uint64_t to_epoch = 0;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  uint64_t snapshots = 0;           // snapshots restore may start from
  uint64_t first_archived_seq = 0;  // 0 when nothing is archived
  uint64_t last_archived_seq = 0;
  uint64_t segments = 0;
  std::vector<std::string> gaps;  // missing seq ranges, "first..last"
  // "recoverable range: <RFC 3339> (epoch N) .. <RFC 3339> (epoch M)" (+ gaps).
  std::string ToString() const;
};

struct PointInTimePlan {
  SnapshotEntry snapshot;  // where replay starts
  uint64_t target_epoch = 0;
  uint64_t replayed_records = 0;
  uint64_t segments_read = 0;
  uint64_t last_seq = 0;     // changelog seq of the restored state
  uint64_t last_epoch = 0;   // epoch of the last replayed record (0 if none)
  int64_t last_wall_ms = 0;  // wall time of the last replayed record (0 if none)
  // Meta keys restored from the snapshot (without ids and pins); the replayed records
  // then change them. Replay streams onto the target, so the final count is not known.
  uint64_t keys = 0;
  uint64_t sst_count = 0;
  bool target_was_empty = true;
  std::map<std::string, uint64_t> id_generators;
  uint64_t pins = 0;
  bool written = false;
  RecoverableRange range;
  uint32_t timeline = 0;  // the new timeline the restored cluster runs on
  // From a self-contained base backup: SSTs copied back (or, dry run, to copy), bytes.
  uint64_t copied_ssts = 0, copied_bytes = 0;
  uint64_t archived_records_scanned = 0;  // records read (all timelines) for id generators
  uint64_t state_object_id = 0;           // ids/object of the restored state, before any raise
};

// The range `RestoreToPoint` accepts on the newest timeline, for `cairn backup list`.
// `now_ms` caps it. `pitr_retention_ms` >= 0 also clamps the lower bound to
// now - retention (what vacuum still keeps); -1 = unknown (offline restore).
Result<RecoverableRange> ComputeRecoverableRange(BackupStorage* backups,
                                                 int64_t checkpoint_interval_ms = 1000,
                                                 Clock* clock = nullptr,
                                                 int64_t pitr_retention_ms = -1);

// One timeline of a backup storage, for `backup list`: its history and its range.
struct TimelineRange {
  uint32_t timeline = 1;
  uint32_t parent = 0;
  uint64_t branch_seq = 0;
  int64_t branch_ms = 0;
  std::string restore;  // what created it
  RecoverableRange range;
};
// Every timeline of the storage, ascending.
Result<std::vector<TimelineRange>> ComputeTimelineRanges(BackupStorage* backups,
                                                         int64_t checkpoint_interval_ms,
                                                         Clock* clock, int64_t pitr_retention_ms);

Result<PointInTimePlan> RestoreToPoint(BackupStorage* backups, ObjectStore* objects,
                                       MetaStore* target, const PointInTimeOptions& options);

}  // namespace cairn
