// The deleted-ids mark (docs/backup-format.md "Identity"): `cluster/deleted_ids` in the
// object store holds the highest object id vacuum ever deleted there. Vacuum raises it
// before it deletes, so that a restore, which sees only the objects still listed, the
// backups and the archived changelog, never issues an id again whose object is gone
// (ids only grow, design §6a), and the start-up guard can tell an old copy of the meta
// store. Written only by the writer-lease holder; a plain put of a growing number.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr std::string_view kDeletedIdsKey = "cluster/deleted_ids";

// 0 when absent; Corruption when the object is not a decimal number.
Result<uint64_t> ReadMaxDeletedObjectId(ObjectStore* store);

// Raises the mark to `id` (a no-op when it is already at or above it).
Status RaiseMaxDeletedObjectId(ObjectStore* store, uint64_t id);

}  // namespace cairn
