// Clone registrations (docs/clones.md): `clones/<clone id>.json` in a source cluster's
// backup storage, one per live clone that reads the source's SSTs in place. The source's
// vacuum treats each like a backup pin (epoch, max_object_id): it keeps every object
// below max_object_id that left the version at or after epoch. Written create-only by
// `cairn clone` before the clone's metadata; removed by `clone drop` or `clone detach`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "meta/backup_pins.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr std::string_view kCloneRegistrationPrefix = "clones/";

struct CloneRegistration {
  std::string clone_id;
  std::string source_cluster_id;
  uint64_t epoch = 0;
  uint64_t max_object_id = 0;
  int64_t created_ms = 0;
  std::string meta_store;    // the clone's, secrets removed (informational)
  std::string object_store;  // the clone's own, secrets removed (informational)
  std::string from;          // "backup 3", "epoch N"
};

std::string CloneRegistrationKey(const std::string& clone_id);
std::string EncodeCloneRegistration(const CloneRegistration& r);
Result<CloneRegistration> DecodeCloneRegistration(std::string_view bytes, const std::string& where);

// Create-only: AlreadyExists when the clone is registered already.
Status RegisterClone(ObjectStore* backups, const CloneRegistration& r);
// NotFound (listing the registered clones) when it is not registered.
Status UnregisterClone(ObjectStore* backups, const std::string& clone_id);
// Every registration, by clone id. A damaged one is Corruption: vacuum must not guess.
Result<std::vector<CloneRegistration>> ListCloneRegistrations(ObjectStore* backups);
// The registrations as pins for the deletion gate.
std::vector<BackupPin> CloneRegistrationPins(const std::vector<CloneRegistration>& clones);

}  // namespace cairn
