// Offline restore of a backup snapshot into an empty meta store (design.md §6).
// Everything is verified before the first write; a failed restore leaves the target
// empty; id generators are bumped above everything ever issued.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "backup/manifest.h"
#include "common/clock.h"
#include "common/result.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

struct RestoreOptions {
  uint64_t snapshot_id = 0;
  bool overwrite = false;  // clear a non-empty target first
  bool dry_run = false;    // verify and plan, write nothing
  // Called with a line of progress text at each phase (may be empty).
  std::function<void(const std::string&)> progress;
  // Checks that no live server holds the object store (skipped with --force).
  std::function<Status()> check_writer_lease;
};

struct RestorePlan {
  SnapshotEntry snapshot;
  uint64_t records = 0;
  uint64_t sst_count = 0;
  bool target_was_empty = true;
  std::map<std::string, uint64_t> id_generators;  // generator -> value written
  uint64_t pins = 0;                              // one per backup in the manifest
  bool written = false;
};

Result<RestorePlan> RestoreSnapshot(BackupStorage* backups, ObjectStore* objects, MetaStore* target,
                                    const RestoreOptions& options);

}  // namespace cairn
