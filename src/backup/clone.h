// cairn clone (docs/clones.md): an independent, writable cluster whose first version
// is a source cluster's state at a backup or an instant, made offline while the source
// keeps running, without copying an SST. The clone gets a new cluster id, an identity in
// its own (empty) object store, timeline 1 of its own and its own lease; its meta store
// records its base (meta/clone_base.h), through which a server reads every SST below
// the clone point's object id from the source's object store (storage/
// clone_object_store.h). It is kept alive by a registration in the source's backup
// storage (backup/clone_registry.h), written before the clone's metadata.
//
// Reuses the restore machinery (restore.h, pitr_restore.h, restore_target.h): a dry run
// against the source checks everything (backup storage, target, every SST present, the
// point in range); then the registration; then the restore proper through the clone's
// layered object store, which repeats every check after the registration protects the
// point. A failure after the registration removes it again and leaves the target empty.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "backup/manifest.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "meta/clone_base.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/clone_object_store.h"

namespace cairn {

struct CloneOptions {
  // The clone point: exactly one of from_backup, from_time (RFC 3339 or an epoch
  // number), from_epoch. `timeline` picks the history for from_time/from_epoch.
  uint64_t from_backup = 0;
  std::string from_time;
  uint64_t from_epoch = 0;
  uint32_t timeline = 0;
  std::string backup_storage;  // the source's backup storage URL
  // Opens the source's backup storage for reading snapshots and segments (the CLI passes
  // OpenBackupStorage with the --backup-encryption-key-file keys); null = OpenObjectStore.
  std::function<Result<std::unique_ptr<ObjectStore>>(const std::string& url)> open_backup_storage;
  std::string source_object_store;  // the source's object store URL (read only)
  std::string object_store;         // the clone's own object store URL (must be new)
  bool dry_run = false;
  Clock* clock = nullptr;    // nullptr = SystemClock::Default()
  Random* random = nullptr;  // the clone id; required
  bool read_ahead = true;
  std::function<void(const std::string&)> progress;
};

struct ClonePlan {
  std::string clone_id;  // the clone's cluster id
  std::string source_cluster_id;
  std::string from;            // "backup 3 of ...", "epoch N (snapshot 2 + 5 records) of ..."
  uint64_t epoch = 0;          // the clone point
  uint64_t max_object_id = 0;  // ids below it are the source's
  uint64_t snapshot_id = 0;    // the backup it starts from
  uint64_t replayed_records = 0;
  uint64_t sst_count = 0;  // SSTs the clone references in place (none copied)
  uint64_t first_own_object_id = 0;
  size_t layers = 0;  // 1, or more for a clone of a clone
  bool written = false;
};

Result<ClonePlan> CreateClone(MetaStore* target, const CloneOptions& options);

// The base layers a restore (or a clone) of a point of a clone reads through: the
// clone/base in the snapshot of backup `snapshot_id`, or for an instant (`time`: RFC 3339,
// an epoch number or "latest"; or `epoch`) in the newest snapshot created at or before
// it. Empty for a cluster that is no clone, or was detached by then. Errors of the
// manifest (missing, corrupt) are returned; an unknown id or time gives no layers (the
// restore then names the error).
Result<std::vector<CloneLayer>> BaseLayersAt(BackupStorage* backups, uint64_t snapshot_id,
                                             const std::string& time, uint64_t epoch);
// `own_url`'s store with `layers` below it (storage/clone_object_store.h).
Result<std::unique_ptr<CloneObjectStore>> LayeredStore(const std::string& own_url,
                                                       const std::vector<CloneLayer>& layers);

// `clone drop`: removes the clone's registrations (the one in `backup_storage`, which
// must exist, and those its base names in other backup storages). NotFound, and nothing
// changed, for a clone not registered in `backup_storage`; InvalidArgument for a meta
// store that is not a clone's.
Result<CloneBase> DropClone(MetaStore* clone_meta, const std::string& backup_storage);

}  // namespace cairn
