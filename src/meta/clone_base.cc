#include "meta/clone_base.h"

#include <nlohmann/json.hpp>

#include "meta/keys.h"

namespace cairn {
namespace {

Status Bad(const std::string& why) {
  return Status::Corruption(std::string(keys::kCloneBase) + " is damaged: " + why);
}

}  // namespace

std::string EncodeCloneBase(const CloneBase& base) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : base.layers) {
    layers.push_back({{"object_store", l.object_store},
                      {"backup_storage", l.backup_storage},
                      {"cluster_id", l.cluster_id},
                      {"epoch", l.epoch},
                      {"max_object_id", l.max_object_id}});
  }
  nlohmann::json json = {{"format_version", 1},
                         {"clone_id", base.clone_id},
                         {"layers", layers},
                         {"from", base.from},
                         {"created_ms", base.created_ms},
                         {"detached", base.detached},
                         {"detached_ms", base.detached_ms}};
  return json.dump();
}

Result<CloneBase> DecodeCloneBase(std::string_view value) {
  auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Bad("not a JSON object");
  if (json.value("format_version", 0) != 1) return Bad("unknown format_version");
  if (!json.contains("clone_id") || !json["clone_id"].is_string() || !json.contains("layers") ||
      !json["layers"].is_array()) {
    return Bad("clone_id or layers missing");
  }
  CloneBase base;
  base.clone_id = json["clone_id"].get<std::string>();
  base.from = json.value("from", "");
  base.created_ms = json.value("created_ms", int64_t{0});
  base.detached = json.value("detached", false);
  base.detached_ms = json.value("detached_ms", int64_t{0});
  uint64_t previous = 0;
  for (const auto& l : json["layers"]) {
    if (!l.is_object() || !l.contains("object_store") || !l["object_store"].is_string() ||
        !l.contains("max_object_id") || !l["max_object_id"].is_number_unsigned()) {
      return Bad("a layer without object_store or max_object_id");
    }
    CloneLayer layer;
    layer.object_store = l["object_store"].get<std::string>();
    layer.backup_storage = l.value("backup_storage", "");
    layer.cluster_id = l.value("cluster_id", "");
    layer.epoch = l.value("epoch", uint64_t{0});
    layer.max_object_id = l["max_object_id"].get<uint64_t>();
    if (layer.max_object_id < previous) return Bad("layers out of order");
    previous = layer.max_object_id;
    base.layers.push_back(std::move(layer));
  }
  return base;
}

Result<std::optional<CloneBase>> LoadCloneBase(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, store->Get(keys::kCloneBase));
  if (!kv) return std::optional<CloneBase>();
  CAIRN_ASSIGN_OR_RETURN(CloneBase base, DecodeCloneBase(kv->value));
  return std::optional<CloneBase>(std::move(base));
}

}  // namespace cairn
