#include "backup/manifest.h"

#include <xxhash.h>

#include <nlohmann/json.hpp>

#include "meta/keys.h"

namespace cairn {

using nlohmann::json;

const SnapshotEntry* Manifest::Find(uint64_t id) const {
  for (const auto& s : snapshots) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string EncodeManifest(const Manifest& manifest) {
  json list = json::array();
  for (const auto& s : manifest.snapshots) {
    list.push_back({{"id", s.id},
                    {"created_ms", s.created_ms},
                    {"epoch", s.epoch},
                    {"version_id", s.version_id},
                    {"meta_revision", s.meta_revision},
                    {"changelog_seq", s.changelog_seq},
                    {"max_object_id", s.max_object_id},
                    {"id_generators", s.id_generators},
                    {"sst_count", s.sst_count},
                    {"sst_bytes", s.sst_bytes},
                    {"file", s.file},
                    {"file_size", s.file_size},
                    {"checksum", s.checksum},
                    {"format_version", s.format_version},
                    {"remarks", s.remarks},
                    {"cluster_id", s.cluster_id},
                    {"timeline", s.timeline}});
  }
  json doc = {{"format_version", kManifestFormatVersion}, {"snapshots", list}};
  return doc.dump(1);
}

Result<Manifest> DecodeManifest(std::string_view text) {
  // Every number in a manifest is an integer; converting a fraction or an exponent like
  // 1e46 to one is undefined behaviour, so such a document is refused up front.
  bool fraction = false;
  json doc = json::parse(
      text,
      [&](int, json::parse_event_t, json& value) {
        fraction |= value.is_number_float();
        return true;
      },
      /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Corruption("manifest.json is not valid JSON" +
                              std::string(text.empty() ? " (empty file)" : ""));
  }
  if (fraction) return Status::Corruption("manifest.json: a number is not an integer");
  try {
    uint32_t version = doc.at("format_version").get<uint32_t>();
    if (version > kManifestFormatVersion) {
      return Status::NotSupported("manifest.json has format version " + std::to_string(version) +
                                  "; this build reads versions 1.." +
                                  std::to_string(kManifestFormatVersion));
    }
    Manifest manifest;
    for (const auto& e : doc.at("snapshots")) {
      SnapshotEntry s;
      e.at("id").get_to(s.id);
      e.at("created_ms").get_to(s.created_ms);
      e.at("epoch").get_to(s.epoch);
      e.at("version_id").get_to(s.version_id);
      e.at("meta_revision").get_to(s.meta_revision);
      e.at("changelog_seq").get_to(s.changelog_seq);
      e.at("max_object_id").get_to(s.max_object_id);
      e.at("id_generators").get_to(s.id_generators);
      e.at("sst_count").get_to(s.sst_count);
      e.at("sst_bytes").get_to(s.sst_bytes);
      e.at("file").get_to(s.file);
      e.at("file_size").get_to(s.file_size);
      e.at("checksum").get_to(s.checksum);
      e.at("format_version").get_to(s.format_version);
      e.at("remarks").get_to(s.remarks);
      e.at("cluster_id").get_to(s.cluster_id);
      s.timeline = e.value("timeline", 1u);
      manifest.snapshots.push_back(std::move(s));
    }
    return manifest;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("manifest.json: missing or mistyped field (") + e.what() +
                              ")");
  }
}

std::string BackupStorage::SnapshotKey(uint64_t id) {
  return "snapshots/" + std::to_string(id) + ".snap";
}

Result<Manifest> BackupStorage::LoadManifest() {
  auto text = store_->Get(kManifestKey);
  if (!text.ok()) {
    if (text.status().IsNotFound()) {
      return Status::NotFound("no manifest.json in backup storage " + store_->DescribeForLog() +
                              " (no backups taken there?)");
    }
    return text.status().WithContext("read manifest.json from " + store_->DescribeForLog());
  }
  return DecodeManifest(*text);
}

Result<Manifest> BackupStorage::LoadManifestOrEmpty() {
  auto manifest = LoadManifest();
  if (!manifest.ok() && manifest.status().IsNotFound()) return Manifest{};
  return manifest;
}

Status BackupStorage::SaveManifest(const Manifest& manifest) {
  return store_->Put(kManifestKey, EncodeManifest(manifest))
      .WithContext("write manifest.json to " + store_->DescribeForLog());
}

Result<std::string> BackupStorage::LoadStorageId() {
  auto text = store_->Get(kIdentityKey);
  if (!text.ok()) return text.status().IsNotFound() ? Result<std::string>("") : text.status();
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("storage_id") ||
      !doc["storage_id"].is_string() || doc["storage_id"].get<std::string>().empty()) {
    return Status::Corruption(std::string(kIdentityKey) + " in backup storage " +
                              store_->DescribeForLog() + " is damaged");
  }
  return doc["storage_id"].get<std::string>();
}

std::string BackupStorage::NewStorageId(int64_t now_ms) const {
  std::string seed = store_->DescribeForLog() + "@" + std::to_string(now_ms);
  return keys::Hex16(XXH64(seed.data(), seed.size(), 0)) + keys::Hex16(now_ms);
}

Result<std::string> BackupStorage::EnsureStorageId(const std::string& id, int64_t now_ms) {
  json doc = {{"format_version", 1}, {"storage_id", id}, {"created_ms", now_ms}};
  Status put = store_->PutIfAbsent(kIdentityKey, doc.dump(2) + "\n");
  if (put.ok()) return id;
  if (put.code() != ErrorCode::kAlreadyExists) return put;
  return LoadStorageId();
}

}  // namespace cairn
