// The backup manifest (manifest.json in backup storage, docs/backup-format.md):
// the list of snapshots, replaced atomically on every change.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr uint32_t kManifestFormatVersion = 1;

struct SnapshotEntry {
  uint64_t id = 0;
  int64_t created_ms = 0;
  uint64_t epoch = 0;       // max committed epoch at the cut
  uint64_t version_id = 0;  // storage version id at the cut
  int64_t meta_revision = 0;
  uint64_t changelog_seq = 0;
  uint64_t max_object_id = 0;  // every object the cut references has a smaller id
  std::map<std::string, uint64_t> id_generators;  // ids/<name> values in the cut
  uint64_t sst_count = 0;
  uint64_t sst_bytes = 0;
  std::string file;  // key in backup storage, e.g. snapshots/7.snap
  uint64_t file_size = 0;
  uint64_t checksum = 0;
  uint32_t format_version = 0;
  std::string remarks;
  std::string cluster_id;
  uint32_t timeline = 1;  // the cluster's timeline at the cut (absent in old manifests: 1)
};

struct Manifest {
  std::vector<SnapshotEntry> snapshots;  // ascending id

  const SnapshotEntry* Find(uint64_t id) const;
};

std::string EncodeManifest(const Manifest& manifest);
// Corruption (naming manifest.json) for malformed JSON or missing fields;
// NotSupported for a future manifest format version.
Result<Manifest> DecodeManifest(std::string_view json);

// Backup storage layout on any ObjectStore: manifest.json, snapshots/<id>.snap,
// changelog/<first>-<last>.log.
class BackupStorage {
 public:
  explicit BackupStorage(ObjectStore* store) : store_(store) {}

  static constexpr std::string_view kManifestKey = "manifest.json";
  static std::string SnapshotKey(uint64_t id);

  // NotFound when the storage has no manifest yet.
  Result<Manifest> LoadManifest();
  // Like LoadManifest, but an absent manifest is an empty one.
  Result<Manifest> LoadManifestOrEmpty();
  // Atomic replace (ObjectStore::Put is atomic).
  Status SaveManifest(const Manifest& manifest);

  // The storage's identity (`storage.json`: {"format_version", "storage_id",
  // "created_ms"}), which pins record so that a cluster purges only pins of the storage
  // it is using. "" when the storage has none yet.
  static constexpr std::string_view kIdentityKey = "storage.json";
  Result<std::string> LoadStorageId();
  // The id a storage without identity gets: derived from its description and `now_ms`.
  std::string NewStorageId(int64_t now_ms) const;
  // Writes the identity unless present (create-only); returns the id in effect.
  Result<std::string> EnsureStorageId(const std::string& id, int64_t now_ms);

  ObjectStore* store() const { return store_; }

 private:
  ObjectStore* store_;
};

}  // namespace cairn
