// The base of a clone (docs/clones.md), kept in the clone's meta store under
// keys::kCloneBase. A clone is an independent cluster whose first version references
// SSTs of other clusters in place: every object id below a layer's `max_object_id`
// (the clone point's object id generator) is read from that layer's object store and is
// never written or deleted by the clone. Layers are ordered by ascending boundary: a
// clone of a clone inherits its source's layers and adds its source as the last one, so
// an id belongs to the first layer whose boundary is above it, and ids at or above the
// last boundary are the clone's own. `detached` = the external SSTs were copied into the
// clone's own store (clone detach): no layer is read any more.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct CloneLayer {
  std::string object_store;    // URL (never with credentials) of the layer's SSTs
  std::string backup_storage;  // URL of its backup storage, which holds our registration
  std::string cluster_id;      // the layer's cluster
  uint64_t epoch = 0;          // the clone point in the layer's epochs
  uint64_t max_object_id = 0;  // ids below this (and above the previous layer's) live there
};

struct CloneBase {
  std::string clone_id;  // = the clone's cluster id; names its registrations
  std::vector<CloneLayer> layers;
  std::string from;  // what was cloned: "backup 3 of fs:///b", "epoch N of ..."
  int64_t created_ms = 0;
  bool detached = false;
  int64_t detached_ms = 0;
};

std::string EncodeCloneBase(const CloneBase& base);
// Corruption (naming clone/base) for a value that is not a clone base.
Result<CloneBase> DecodeCloneBase(std::string_view value);
// nullopt when the meta store is not a clone's.
Result<std::optional<CloneBase>> LoadCloneBase(MetaStore* store);

}  // namespace cairn
