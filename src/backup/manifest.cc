#include "backup/manifest.h"

#include <xxhash.h>

#include <algorithm>
#include <map>
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

namespace {

json EntryJson(const SnapshotEntry& s) {
  json e = {{"id", s.id},
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
            {"timeline", s.timeline}};
  if (s.self_contained()) {
    const SnapshotCopy& c = s.copy;
    e["copy"] = {{"list", c.list.key},
                 {"list_size", c.list.size},
                 {"list_checksum", c.list.checksum},
                 {"ssts", c.list.count},
                 {"bytes", c.bytes},
                 {"added_ssts", c.added_ssts},
                 {"added_bytes", c.added_bytes}};
  }
  return e;
}

// EntryJson plus the encryption key id (issue 17), which plaintext backups leave out.
json EntryJsonWithKeyId(const SnapshotEntry& s) {
  json e = EntryJson(s);
  if (!s.key_id.empty()) e["key_id"] = s.key_id;
  return e;
}

// Throws json::exception for a missing or mistyped field.
SnapshotEntry EntryFromJson(const json& e) {
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
  if (e.contains("copy")) {
    const json& c = e.at("copy");
    c.at("list").get_to(s.copy.list.key);
    c.at("list_size").get_to(s.copy.list.size);
    c.at("list_checksum").get_to(s.copy.list.checksum);
    c.at("ssts").get_to(s.copy.list.count);
    c.at("bytes").get_to(s.copy.bytes);
    c.at("added_ssts").get_to(s.copy.added_ssts);
    c.at("added_bytes").get_to(s.copy.added_bytes);
    if (s.copy.list.key.empty()) throw json::other_error::create(501, "copy.list is empty", &c);
  }
  s.key_id = e.value("key_id", std::string());
  return s;
}

// Parses `text` as a JSON object whose numbers are all integers: converting a fraction
// or an exponent like 1e46 to an integer field is undefined behaviour, so such a
// document is refused up front. Corruption naming `name` otherwise.
Result<json> ParseIntegerJson(std::string_view text, std::string_view name) {
  bool fraction = false;
  json doc = json::parse(
      text,
      [&](int, json::parse_event_t, json& value) {
        fraction |= value.is_number_float();
        return true;
      },
      /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Corruption(std::string(name) + " is not valid JSON" +
                              std::string(text.empty() ? " (empty file)" : ""));
  }
  if (fraction) return Status::Corruption(std::string(name) + ": a number is not an integer");
  return doc;
}

// The id of manifest/<20 digits><suffix>; false for any other key.
bool ParseManifestObjectKey(std::string_view key, std::string_view suffix, uint64_t* id) {
  constexpr size_t kDigits = 20;
  std::string_view dir = BackupStorage::kManifestDir;
  if (key.size() != dir.size() + kDigits + suffix.size() || !key.starts_with(dir) ||
      !key.ends_with(suffix)) {
    return false;
  }
  std::string_view digits = key.substr(dir.size(), kDigits);
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return false;  // overflow
    v = next;
  }
  *id = v;
  return true;
}

std::string Digits20(uint64_t id) {
  std::string s = std::to_string(id);
  return std::string(20 - s.size(), '0') + s;
}

}  // namespace

std::string EncodeManifest(const Manifest& manifest) {
  json list = json::array();
  for (const auto& s : manifest.snapshots) list.push_back(EntryJsonWithKeyId(s));
  json doc = {{"format_version", kManifestFormatVersion}, {"snapshots", list}};
  return doc.dump(1);
}

namespace {

Result<Manifest> DecodeManifestVersion(std::string_view text, uint32_t* version_out) {
  CAIRN_ASSIGN_OR_RETURN(json doc, ParseIntegerJson(text, "manifest.json"));
  try {
    uint32_t version = doc.at("format_version").get<uint32_t>();
    *version_out = version;
    if (version > kManifestFormatVersion) {
      return Status::NotSupported("manifest.json has format version " + std::to_string(version) +
                                  "; this build reads versions 1.." +
                                  std::to_string(kManifestFormatVersion));
    }
    Manifest manifest;
    for (const auto& e : doc.at("snapshots")) manifest.snapshots.push_back(EntryFromJson(e));
    return manifest;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("manifest.json: missing or mistyped field (") + e.what() +
                              ")");
  }
}

}  // namespace

Result<Manifest> DecodeManifest(std::string_view text) {
  uint32_t version = 0;
  return DecodeManifestVersion(text, &version);
}

std::string EncodeManifestEntry(const SnapshotEntry& entry) {
  json doc = {{"format_version", kManifestEntryFormatVersion},
              {"snapshot", EntryJsonWithKeyId(entry)}};
  return doc.dump(1);
}

Result<SnapshotEntry> DecodeManifestEntry(std::string_view text, std::string_view key,
                                          uint64_t key_id) {
  CAIRN_ASSIGN_OR_RETURN(json doc, ParseIntegerJson(text, key));
  try {
    uint32_t version = doc.at("format_version").get<uint32_t>();
    if (version > kManifestEntryFormatVersion) {
      return Status::NotSupported(std::string(key) + " has format version " +
                                  std::to_string(version) + "; this build reads versions 1.." +
                                  std::to_string(kManifestEntryFormatVersion));
    }
    SnapshotEntry entry = EntryFromJson(doc.at("snapshot"));
    if (entry.id != key_id) {
      return Status::Corruption(std::string(key) + " holds backup " + std::to_string(entry.id));
    }
    return entry;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string(key) + ": missing or mistyped field (" + e.what() + ")");
  }
}

std::string BackupStorage::SnapshotKey(uint64_t id) {
  return "snapshots/" + std::to_string(id) + ".snap";
}

std::string BackupStorage::EntryKey(uint64_t id) {
  return std::string(kManifestDir) + Digits20(id) + ".json";
}

std::string BackupStorage::TombstoneKey(uint64_t id) {
  return std::string(kManifestDir) + Digits20(id) + ".deleted";
}

Status BackupStorage::ListManifestObjects(std::vector<uint64_t>* entries,
                                          std::vector<uint64_t>* tombstones) {
  return ListAll(*store_, kManifestDir,
                 [&](const ObjectMeta& meta) {
                   uint64_t id = 0;
                   if (ParseManifestObjectKey(meta.key, ".json", &id)) {
                     entries->push_back(id);
                   } else if (ParseManifestObjectKey(meta.key, ".deleted", &id)) {
                     tombstones->push_back(id);
                   }
                   return Status::OK();
                 })
      .WithContext("list manifest/ in " + store_->DescribeForLog());
}

Result<Manifest> BackupStorage::LoadManifest(ManifestLayout* layout) {
  for (int attempt = 1;; ++attempt) {
    auto manifest = LoadManifestOnce(layout);
    if (manifest.ok() || manifest.status().code() != ErrorCode::kAborted || attempt == 3) {
      return manifest;
    }
  }
}

Result<Manifest> BackupStorage::LoadManifestOnce(ManifestLayout* layout) {
  // The listing before the index: a compaction writes the index before it deletes the
  // objects it folded, so an object listed here is either read below or in the index.
  std::vector<uint64_t> entry_ids, tombstone_ids;
  CAIRN_RETURN_IF_ERROR(ListManifestObjects(&entry_ids, &tombstone_ids));
  if (layout != nullptr) {  // also when manifest.json is missing (index_version 0)
    *layout = ManifestLayout{};
    layout->entries = entry_ids.size();
    layout->tombstones = tombstone_ids.size();
    for (uint64_t id : entry_ids) layout->max_id = std::max(layout->max_id, id);
    for (uint64_t id : tombstone_ids) layout->max_id = std::max(layout->max_id, id);
  }
  auto text = store_->Get(kManifestKey);
  if (!text.ok()) {
    if (text.status().IsNotFound()) {
      return Status::NotFound("no manifest.json in backup storage " + store_->DescribeForLog() +
                              " (no backups taken there?)");
    }
    return text.status().WithContext("read manifest.json from " + store_->DescribeForLog());
  }
  uint32_t index_version = 0;
  CAIRN_ASSIGN_OR_RETURN(Manifest index, DecodeManifestVersion(*text, &index_version));
  if (layout != nullptr) {
    layout->index_version = index_version;
    for (const auto& e : index.snapshots) layout->max_id = std::max(layout->max_id, e.id);
  }
  if (entry_ids.empty() && tombstone_ids.empty()) return index;  // a compacted (or old) one

  std::map<uint64_t, SnapshotEntry> by_id;
  for (auto& s : index.snapshots) by_id.emplace(s.id, std::move(s));
  for (uint64_t id : entry_ids) {
    if (by_id.count(id)) continue;  // folded into the index, not yet deleted
    std::string key = EntryKey(id);
    auto entry_text = store_->Get(key);
    if (!entry_text.ok()) {
      // Deleted between the listing and the read: a compaction folded it into an index
      // newer than the one read; LoadManifest reads again rather than miss it.
      if (entry_text.status().IsNotFound()) {
        return Status::Aborted(key + " went away while the manifest was read (compacted?)");
      }
      return entry_text.status().WithContext("read " + key + " from " + store_->DescribeForLog());
    }
    CAIRN_ASSIGN_OR_RETURN(SnapshotEntry entry, DecodeManifestEntry(*entry_text, key, id));
    by_id.emplace(id, std::move(entry));
  }
  for (uint64_t id : tombstone_ids) by_id.erase(id);
  Manifest manifest;
  for (auto& [id, s] : by_id) manifest.snapshots.push_back(std::move(s));
  return manifest;
}

Result<Manifest> BackupStorage::LoadManifestOrEmpty(ManifestLayout* layout) {
  auto manifest = LoadManifest(layout);
  if (!manifest.ok() && manifest.status().IsNotFound()) return Manifest{};
  return manifest;
}

Status BackupStorage::SaveManifest(const Manifest& manifest) {
  std::vector<uint64_t> entry_ids, tombstone_ids;
  CAIRN_RETURN_IF_ERROR(ListManifestObjects(&entry_ids, &tombstone_ids));
  CAIRN_RETURN_IF_ERROR(store_->Put(kManifestKey, EncodeManifest(manifest))
                            .WithContext("write manifest.json to " + store_->DescribeForLog()));
  // Entries before tombstones: a tombstone outlives the entry it hides.
  for (uint64_t id : entry_ids) CAIRN_RETURN_IF_ERROR(store_->Delete(EntryKey(id)));
  for (uint64_t id : tombstone_ids) CAIRN_RETURN_IF_ERROR(store_->Delete(TombstoneKey(id)));
  return Status::OK();
}

Status BackupStorage::StartManifest(const Manifest& manifest) {
  std::vector<uint64_t> entry_ids, tombstone_ids;
  CAIRN_RETURN_IF_ERROR(ListManifestObjects(&entry_ids, &tombstone_ids));
  // Tombstones stay: ids are never reused, so they hide nothing of the new manifest, and
  // should the operator put the lost manifest.json back, its deleted backups stay
  // deleted (cairn-sim seed 1084).
  for (uint64_t id : entry_ids) CAIRN_RETURN_IF_ERROR(store_->Delete(EntryKey(id)));
  return store_->Put(kManifestKey, EncodeManifest(manifest))
      .WithContext("write manifest.json to " + store_->DescribeForLog());
}

Status BackupStorage::AddEntry(const SnapshotEntry& entry) {
  std::string key = EntryKey(entry.id);
  return store_->PutIfAbsent(key, EncodeManifestEntry(entry))
      .WithContext("write " + key + " to " + store_->DescribeForLog());
}

Status BackupStorage::AddTombstone(uint64_t id, int64_t now_ms) {
  std::string key = TombstoneKey(id);
  json doc = {{"format_version", 1}, {"id", id}, {"deleted_ms", now_ms}};
  Status put = store_->PutIfAbsent(key, doc.dump());
  if (put.code() == ErrorCode::kAlreadyExists) return Status::OK();
  return put.WithContext("write " + key + " to " + store_->DescribeForLog());
}

Status BackupStorage::CompactManifest() {
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, LoadManifest());
  return SaveManifest(manifest);
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
