// The source side of clones (docs/clones.md): a server keeps its clones' SSTs only
// through the registrations in its backup storage, read at every vacuum pass. So a
// server must not start on another backup storage (or none) while the one it used so far
// holds live registrations: its vacuum would no longer see them.
#pragma once

#include <string>

#include "common/status.h"
#include "meta_store/meta_store.h"

namespace cairn::server {

// Before anything is written: `backup_storage` is the storage this start uses ("" =
// none); the storage used so far is the backup_storage_url param. FailedPrecondition
// naming the previous storage and its clones when it differs and holds registrations. A
// previous storage that cannot be read is logged, not refused (it may be gone for good).
Status CheckBackupStorageKeepsClones(MetaStore* meta, const std::string& backup_storage);

}  // namespace cairn::server
