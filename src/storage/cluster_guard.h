// The start-up guard (docs/server.md "Identity"): before a server writes anything, its
// meta store and object store must belong together. Losing the meta store, typing the
// wrong URL or starting on an old copy must never start a second cluster over data that
// backups still reference (design.md §6a).
//
// The rules, from what the two stores hold:
//   - a meta store marked as an unfinished restore: refused;
//   - identity and meta store of different clusters: refused;
//   - an identity or any SST, and an empty meta store: refused (that is a restore);
//   - SST object ids, listed or recorded as vacuumed (meta/deleted_ids.h), at or above the
//     meta store's object id generator: refused (the meta store is older than the data:
//     an old copy, or another cluster's);
//   - a meta store whose version references SSTs of which the object store holds none:
//     refused (the wrong object store);
//   - an empty meta store over an empty object store: a new cluster;
//   - a meta store with a cluster id over a store without identity (a cluster from
//     before identities): adopted, the identity is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "meta/cluster_identity.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

// What the two stores say about each other.
struct StoreSurvey {
  std::optional<std::string> meta_cluster_id;
  std::optional<ClusterIdentity> identity;
  uint64_t listed_ssts = 0;
  uint64_t max_listed_id = 0;    // largest listed SST object id (0 = none listed)
  uint64_t max_deleted_id = 0;   // cluster/deleted_ids: largest id vacuum deleted (0 = none)
  uint64_t next_object_id = 0;   // the meta store's ids/object (0 = absent)
  uint64_t version_ssts = 0;     // SSTs the meta store's version references
  uint64_t version_missing = 0;  // of those, how many are not listed
};

// Reads both stores (one listing of data/) and applies the rules above. Writes nothing.
// FailedPrecondition with one sentence that names both stores and what to run;
// `backup_storage` (may be empty) fills in the suggested restore command.
Result<StoreSurvey> CheckClusterStores(MetaStore* meta, ObjectStore* objects,
                                       const std::string& backup_storage);

// After CheckClusterStores passed (and the writer lease is held): creates the cluster id
// of a new cluster and writes the identity object when the store has none. Returns the
// cluster id.
Result<std::string> EstablishClusterIdentity(MetaWriter* writer, ObjectStore* objects,
                                             const StoreSurvey& survey, Random* random);

}  // namespace cairn
