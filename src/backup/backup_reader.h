// BackupReader: reads served from backups, without a restore (docs/pitr.md, "Reads
// served from backups"). It finds the backup that serves a read — one named by id, or
// the newest one at or before an instant older than the PITR retention window — among
// this cluster's backups on its timeline's history (docs/pitr.md, "Timelines"), and
// keeps the decoded versions of the last few in an LRU so that repeated reads do not
// read the snapshot file again. Every call reads the manifest first: a deleted backup is
// NotFound at once and leaves the cache (with its SST readers). The backup's pin keeps
// its SSTs; a read racing the backup's deletion and a vacuum may fail on a missing SST.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.h"
#include "backup/timeline.h"
#include "common/result.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "sst/block_cache.h"
#include "storage/frozen_version.h"

namespace cairn {

struct BackupReaderOptions {
  size_t cached_backups = 4;            // decoded versions kept (LRU)
  size_t block_cache_bytes = 32 << 20;  // data blocks of backup reads, shared by all
  // Called before a snapshot file is read (a cache miss), e.g. the server's rate limit
  // for backup storage reads; a non-OK result is the read's.
  std::function<Status()> admit_snapshot_read;
};

// The backup a read is served from, and its version at its cut.
struct ServedBackup {
  SnapshotEntry entry;
  std::shared_ptr<FrozenVersion> view;  // read epoch: the cut (BackupVersion::cut_epoch)
};

class BackupReader {
 public:
  // `backups`: backup storage; `objects`: the cluster's object store (the SSTs); `meta`:
  // its meta store (the cluster's timeline and, until the archiver publishes it, its
  // history). All must outlive the reader.
  BackupReader(ObjectStore* backups, ObjectStore* objects, MetaStore* meta, std::string cluster_id,
               BackupReaderOptions options = {});

  // Backup `id`: NotFound when the manifest does not list it; InvalidArgument when it is
  // another cluster's or not on this cluster's timeline history.
  Result<ServedBackup> ById(uint64_t id);
  // For an as-of read at `epoch` that the cluster no longer serves (older than
  // `oldest_live_epoch`): the newest eligible backup (as ById) created at or before
  // `epoch` (SnapshotBoundEpoch: everything it holds was committed by then). Else
  // InvalidArgument naming the oldest point readable: the oldest eligible backup, or,
  // with none, `oldest_live_epoch`.
  Result<ServedBackup> AtEpoch(uint64_t epoch, uint64_t oldest_live_epoch);

  uint64_t snapshot_reads() const;  // snapshot files decoded so far
  size_t cached() const;

 private:
  struct Eligible {
    Manifest listed;    // every backup of the storage
    Manifest eligible;  // this cluster's, on its timeline history
  };
  Result<Eligible> LoadEligible();
  Result<std::vector<PathStep>> Path();  // this cluster's timeline history (cached)
  std::string DescribePath() const;      // path_ set
  Result<ServedBackup> Serve(const SnapshotEntry& entry);
  void ForgetUnlisted(const Manifest& listed);

  ObjectStore* const backups_;
  ObjectStore* const objects_;
  MetaStore* const meta_;
  const std::string cluster_id_;
  const BackupReaderOptions options_;
  sst::BlockCache block_cache_;

  mutable std::mutex mu_;
  std::optional<std::vector<PathStep>> path_;
  struct Cached {
    uint64_t id = 0;
    uint64_t checksum = 0;
    std::shared_ptr<FrozenVersion> view;
  };
  std::list<Cached> lru_;  // front = most recently used
  uint64_t snapshot_reads_ = 0;
};

}  // namespace cairn
