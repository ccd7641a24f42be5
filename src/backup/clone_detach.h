// Opening a clone's stores and `clone detach` (docs/clones.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "meta/clone_base.h"
#include "meta/meta_writer.h"
#include "object_store/object_store.h"
#include "storage/clone_object_store.h"

namespace cairn {

// The object store a server runs on: `own` itself, or — when the meta store holds a
// clone base that is not detached — a CloneObjectStore over `own` and the base's stores
// (*layer then points at it; else nullptr). FailedPrecondition when `backup_storage`
// (the server's) is one of the base's: a clone archives and backs up into its own.
Result<std::unique_ptr<ObjectStore>> OpenClusterObjects(MetaStore* meta,
                                                        std::unique_ptr<ObjectStore> own,
                                                        const std::string& backup_storage,
                                                        CloneObjectStore** layer);

struct DetachProgress {
  uint64_t total = 0;   // external SSTs the clone still references
  uint64_t copied = 0;  // done so far (copied, or already in the own store)
  uint64_t bytes = 0;   // bytes copied so far
  std::string line;     // what happens now
};

struct DetachReport {
  std::string clone_id;
  uint64_t ssts = 0, bytes = 0;
  uint64_t registrations_removed = 0;
};

// Copies every external SST the clone still references (its version and stale list)
// into its own store (create-only; an existing copy must have the same size), verifies
// each copy's size, records the clone as detached (a MetaWriter commit of clone/base),
// switches `layer` to the own store, and removes the clone's registrations from its
// bases' backup storages. Online: the clone keeps serving meanwhile (nothing new is
// ever external). FailedPrecondition when the cluster is not a clone or is detached.
Result<DetachReport> DetachClone(MetaWriter* writer, CloneObjectStore* layer, Clock* clock,
                                 const std::function<void(const DetachProgress&)>& progress);

}  // namespace cairn
