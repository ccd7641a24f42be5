// What `status`, GET /api/v1/status and the console show about clones (docs/clones.md):
// the live clones registered in this cluster's backup storage, and this cluster's own
// base when it is a clone.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backup/clone_registry.h"
#include "meta/clone_base.h"

namespace cairn::server {

struct CloneStatus {
  std::vector<CloneRegistration> clones;
  std::string clones_error;  // the registrations could not be read
  std::optional<CloneBase> base;
};

// Never fails: what cannot be read is reported in clones_error (status must answer
// while backup storage is down). `backup_storage` may be null.
CloneStatus ReadCloneStatus(MetaStore* meta, ObjectStore* backup_storage);

// {"clones": [...], "clones_error": ..., "clone_of": ..., "clone_detached": ...}
nlohmann::json CloneStatusJson(const CloneStatus& status);
// "backup 3 of fs:///b (cluster X)", "" when not a clone.
std::string CloneOf(const CloneStatus& status);

}  // namespace cairn::server
