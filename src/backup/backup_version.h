// What a backup's snapshot file says about storage (docs/pitr.md, "Reads served from
// backups"): the version (every SST of the cut) and the catalog, decoded from the
// snapshot file in backup storage, with the epoch the cut is exact at.
#pragma once

#include <memory>

#include "backup/manifest.h"
#include "common/result.h"
#include "object_store/object_store.h"
#include "storage/catalog.h"
#include "storage/version.h"

namespace cairn {

struct BackupVersion {
  std::shared_ptr<const Version> version;
  Catalog catalog;
  // The state the backup holds: max(the version's max committed epoch, the catalog's
  // newest DDL epoch), as ClusterImpl::Init computes its committed epoch. Reads of the
  // version are exact at this epoch and at no older one (compaction before the cut may
  // have dropped older MVCC versions).
  uint64_t cut_epoch = 0;
};

// Streams `entry`'s snapshot file (its checksum, size, id, cluster and timeline checked
// against the manifest entry, as backup verify does) and keeps only storage/version,
// storage/sst/ and catalog/table/. NotFound when the file is missing; Corruption when it
// is damaged or differs from the entry.
Result<BackupVersion> ReadBackupVersion(ObjectStore* backups, const SnapshotEntry& entry);

}  // namespace cairn
