// Offline restore of a backup snapshot into an empty meta store (design.md §6).
// Everything is verified before the first write (restore_target.h: lease, identity,
// target); a failed restore leaves the target empty or marked unfinished; id generators
// are bumped above everything ever issued (snapshots, archived changelog, object store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "backup/manifest.h"
#include "backup/restore_target.h"
#include "backup/sst_copy.h"
#include "common/clock.h"
#include "common/result.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

struct RestoreOptions {
  uint64_t snapshot_id = 0;
  bool overwrite = false;  // replace a non-empty target of the same cluster
  bool dry_run = false;    // verify and plan, write nothing anywhere
  bool force = false;      // restore although a server's lease is live (it is known dead)
  Clock* clock = nullptr;  // nullptr = SystemClock::Default()
  // SSTs copied back at once from a self-contained backup (into an empty object store).
  int copy_threads = 4;
  CopyProgress* copy_progress = nullptr;  // may be null
  // Called with a line of progress text at each phase (may be empty).
  std::function<void(const std::string&)> progress;
  const CloneSpec* clone = nullptr;  // set: create this clone (restore_target.h)
  // The SST check on its own thread while an empty target is written. false: the same
  // order on one thread (the check after the write), so that faults replay by seed.
  bool parallel_check = true;
};

struct RestorePlan {
  SnapshotEntry snapshot;
  uint64_t records = 0;
  uint64_t sst_count = 0;
  bool target_was_empty = true;
  uint64_t archived_records_scanned = 0;          // changelog records read for id generators
  uint32_t timeline = 0;                          // the timeline the restored cluster runs on
  std::map<std::string, uint64_t> id_generators;  // generator -> value written
  uint64_t pins = 0;                              // one per backup in the manifest
  bool written = false;
  // From a self-contained backup: SSTs copied back (or, dry run, to copy) and their bytes.
  uint64_t copied_ssts = 0, copied_bytes = 0;
};

Result<RestorePlan> RestoreSnapshot(BackupStorage* backups, ObjectStore* objects, MetaStore* target,
                                    const RestoreOptions& options);

}  // namespace cairn
