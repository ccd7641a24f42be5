// Kv reads served from a backup (docs/pitr.md, "Reads served from backups"): which
// reads are, the table as of the backup's cut, and the proto naming the backup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backup/backup_reader.h"
#include "cairn.pb.h"
#include "storage/cluster.h"

namespace cairn::server {

// The backup serving a Kv read with `backup_id` (non-zero), or with an `as_of_epoch` the
// cluster no longer serves (Cluster::oldest_as_of_epoch); nullopt when the cluster
// serves the read. InvalidArgument when both are set; Busy for `backup_id` without
// backup storage (`reader` null; an old as-of read then gets the cluster's error).
Result<std::optional<ServedBackup>> BackupForRead(Cluster* cluster, BackupReader* reader,
                                                  uint64_t backup_id, uint64_t as_of_epoch);

// The id of table `name` at the backup's cut; NotFound naming table and backup.
Result<uint32_t> BackupTableId(const ServedBackup& served, const std::string& name);

void SetBackupSource(const ServedBackup& served, rpc::BackupSource* out);

}  // namespace cairn::server
