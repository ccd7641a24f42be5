#include "server/clone_status.h"

#include "meta/time_spec.h"

namespace cairn::server {

CloneStatus ReadCloneStatus(MetaStore* meta, ObjectStore* backup_storage) {
  CloneStatus out;
  if (backup_storage) {
    auto clones = ListCloneRegistrations(backup_storage);
    if (clones.ok()) {
      out.clones = std::move(clones).value();
    } else {
      out.clones_error = clones.status().ToString();
    }
  }
  auto base = LoadCloneBase(meta);
  if (base.ok()) {
    out.base = std::move(base).value();
  } else {
    out.clones_error += (out.clones_error.empty() ? "" : "; ") + base.status().ToString();
  }
  return out;
}

std::string CloneOf(const CloneStatus& status) {
  if (!status.base) return "";
  std::string out = status.base->from;
  if (!status.base->layers.empty())
    out += " (cluster " + status.base->layers.back().cluster_id + ")";
  return out;
}

nlohmann::json CloneStatusJson(const CloneStatus& status) {
  nlohmann::json clones = nlohmann::json::array();
  for (const auto& c : status.clones) {
    clones.push_back({{"clone_id", c.clone_id},
                      {"epoch", c.epoch},
                      {"max_object_id", c.max_object_id},
                      {"created_time", FormatRfc3339Millis(c.created_ms)},
                      {"meta_store", c.meta_store},
                      {"object_store", c.object_store},
                      {"from", c.from}});
  }
  return {{"clones", clones},
          {"clones_error", status.clones_error.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(status.clones_error)},
          {"clone_of", status.base ? nlohmann::json(CloneOf(status)) : nlohmann::json(nullptr)},
          {"clone_detached", status.base && status.base->detached}};
}

}  // namespace cairn::server
