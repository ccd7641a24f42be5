#include "backup/clone_registry.h"

#include <nlohmann/json.hpp>

namespace cairn {

std::string CloneRegistrationKey(const std::string& clone_id) {
  return std::string(kCloneRegistrationPrefix) + clone_id + ".json";
}

std::string EncodeCloneRegistration(const CloneRegistration& r) {
  nlohmann::json json = {{"format_version", 1},
                         {"clone_id", r.clone_id},
                         {"source_cluster_id", r.source_cluster_id},
                         {"epoch", r.epoch},
                         {"max_object_id", r.max_object_id},
                         {"created_ms", r.created_ms},
                         {"meta_store", r.meta_store},
                         {"object_store", r.object_store},
                         {"from", r.from}};
  return json.dump(2) + "\n";
}

Result<CloneRegistration> DecodeCloneRegistration(std::string_view bytes,
                                                  const std::string& where) {
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || json.value("format_version", 0) != 1 ||
      !json.contains("clone_id") || !json["clone_id"].is_string() || !json.contains("epoch") ||
      !json["epoch"].is_number_unsigned() || !json.contains("max_object_id") ||
      !json["max_object_id"].is_number_unsigned()) {
    return Status::Corruption("clone registration " + where + " is damaged");
  }
  CloneRegistration r;
  r.clone_id = json["clone_id"].get<std::string>();
  r.source_cluster_id = json.value("source_cluster_id", "");
  r.epoch = json["epoch"].get<uint64_t>();
  r.max_object_id = json["max_object_id"].get<uint64_t>();
  r.created_ms = json.value("created_ms", int64_t{0});
  r.meta_store = json.value("meta_store", "");
  r.object_store = json.value("object_store", "");
  r.from = json.value("from", "");
  return r;
}

Status RegisterClone(ObjectStore* backups, const CloneRegistration& r) {
  return backups->PutIfAbsent(CloneRegistrationKey(r.clone_id), EncodeCloneRegistration(r));
}

Status UnregisterClone(ObjectStore* backups, const std::string& clone_id) {
  auto head = backups->Head(CloneRegistrationKey(clone_id));
  if (head.ok()) return backups->Delete(CloneRegistrationKey(clone_id));
  if (!head.status().IsNotFound()) return head.status();
  CAIRN_ASSIGN_OR_RETURN(auto clones, ListCloneRegistrations(backups));
  std::string known;
  for (const auto& c : clones) known += (known.empty() ? "" : ", ") + c.clone_id;
  return Status::NotFound("clone " + clone_id + " is not registered in " +
                          backups->DescribeForLog() +
                          " (registered: " + (known.empty() ? "none" : known) + ")");
}

Result<std::vector<CloneRegistration>> ListCloneRegistrations(ObjectStore* backups) {
  std::vector<std::string> names;
  CAIRN_RETURN_IF_ERROR(ListAll(*backups, kCloneRegistrationPrefix, [&](const ObjectMeta& m) {
    if (m.key.ends_with(".json")) names.push_back(m.key);
    return Status::OK();
  }));
  std::vector<CloneRegistration> out;
  for (const auto& key : names) {
    auto bytes = backups->Get(key);
    if (!bytes.ok()) {
      if (bytes.status().IsNotFound()) continue;  // dropped meanwhile
      return bytes.status();
    }
    CAIRN_ASSIGN_OR_RETURN(
        CloneRegistration r,
        DecodeCloneRegistration(*bytes, key + " in " + backups->DescribeForLog()));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<BackupPin> CloneRegistrationPins(const std::vector<CloneRegistration>& clones) {
  std::vector<BackupPin> pins;
  for (const auto& c : clones) {
    BackupPin pin;
    pin.epoch = c.epoch;
    pin.max_object_id = c.max_object_id;
    pins.push_back(pin);
  }
  return pins;
}

}  // namespace cairn
