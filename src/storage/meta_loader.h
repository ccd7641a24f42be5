// Loads the engine's whole persistent state from one meta-store snapshot: the version
// header, every SST of the version, the stale list and the catalog. The engine keeps
// no local state, so this is all recovery needs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "common/result.h"
#include "meta_store/meta_store.h"
#include "storage/catalog.h"
#include "storage/storage_codec.h"

namespace cairn {

struct StorageState {
  VersionHeader header;
  int64_t header_revision = 0;  // mod_revision of storage/version (0 = absent)
  // Decoded straight into the shared form the Version keeps (no second copy).
  std::vector<std::shared_ptr<const SstMeta>> ssts;
  std::map<uint64_t, uint64_t> stale;  // object id -> stale epoch
  Catalog catalog;
};

Result<StorageState> LoadStorageState(MetaStore* store);
// Only the catalog (no SST is decoded).
Result<Catalog> LoadCatalog(MetaStore* store);
// The object ids the stored state references: every SST of the version and every stale
// SST, read from the keys (no value is decoded), sorted. 8 bytes per id in memory.
Result<std::vector<uint64_t>> LoadReferencedIds(MetaStore* store);

}  // namespace cairn
