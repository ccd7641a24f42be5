// The backup manifest (docs/backup-format.md "The manifest"): the list of snapshots, kept
// as a compacted index (manifest.json) plus one create-only object per backup created
// since (manifest/<id:20>.json) and one tombstone per backup deleted since
// (manifest/<id:20>.deleted). Readers see index + entries - tombstones.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/sst_copy_list.h"
#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// manifest.json: 1 = the whole manifest (before issue 12), 2 = an index that entry and
// tombstone objects under manifest/ extend (so a build that reads only 1 refuses it
// instead of missing backups). Readers read both.
inline constexpr uint32_t kManifestFormatVersion = 2;
// manifest/<id>.json
inline constexpr uint32_t kManifestEntryFormatVersion = 1;

// The SSTs a self-contained backup (`backup create --copy-data`) copied into backup
// storage (docs/backup-format.md "Copied SSTs"); list.key empty = reference-only.
struct SnapshotCopy {
  CopyListInfo list;         // copies/<id>.list: every SST of the backup, size + xxhash64
  uint64_t bytes = 0;        // bytes of every SST the list names
  uint64_t added_ssts = 0;   // copies this backup wrote to backup storage (the rest it
  uint64_t added_bytes = 0;  // shares with earlier backups)
};

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
  SnapshotCopy copy;      // "copy" in JSON; absent for a reference-only backup
  bool self_contained() const { return !copy.list.key.empty(); }
  // The id of the key the snapshot file is encrypted with (docs/backup-format.md
  // "Encryption"); "" = stored in plaintext (and absent from the JSON, as in old
  // manifests).
  std::string key_id;
};

struct Manifest {
  std::vector<SnapshotEntry> snapshots;  // ascending id

  const SnapshotEntry* Find(uint64_t id) const;
};

// What a load saw besides the snapshots: what a writer needs to decide on compaction.
struct ManifestLayout {
  uint32_t index_version = 0;  // manifest.json's format_version (0: not loaded)
  size_t entries = 0;          // manifest/<id>.json objects
  size_t tombstones = 0;       // manifest/<id>.deleted objects
  // The largest backup id named anywhere (index, entries, tombstones): a new backup
  // needs a larger one (a restore raises ids/backup only above the listed ids).
  uint64_t max_id = 0;
  size_t objects() const { return entries + tombstones; }
};

std::string EncodeManifest(const Manifest& manifest);
// Corruption (naming manifest.json) for malformed JSON or missing fields;
// NotSupported for a future manifest format version.
Result<Manifest> DecodeManifest(std::string_view json);

// One entry object (manifest/<id>.json): {"format_version": 1, "snapshot": {...}}.
std::string EncodeManifestEntry(const SnapshotEntry& entry);
// Corruption naming `key` for malformed JSON, missing fields or an id other than the
// key's; NotSupported for a future entry format version.
Result<SnapshotEntry> DecodeManifestEntry(std::string_view json, std::string_view key,
                                          uint64_t key_id);

// Backup storage layout on any ObjectStore: manifest.json, manifest/, snapshots/<id>.snap,
// changelog/<first>-<last>.log.
class BackupStorage {
 public:
  explicit BackupStorage(ObjectStore* store) : store_(store) {}

  static constexpr std::string_view kManifestKey = "manifest.json";
  static constexpr std::string_view kManifestDir = "manifest/";
  // Entry objects beyond the index after which a writer compacts them into it.
  static constexpr size_t kDefaultCompactAfter = 16;
  static std::string SnapshotKey(uint64_t id);
  static std::string EntryKey(uint64_t id);      // manifest/<id:20>.json
  static std::string TombstoneKey(uint64_t id);  // manifest/<id:20>.deleted

  // manifest.json + manifest/<id>.json - manifest/<id>.deleted, ascending id. NotFound
  // when there is no manifest.json (entry objects without their index are a lost
  // manifest, not an empty one). `layout` (may be null) receives what was read.
  Result<Manifest> LoadManifest(ManifestLayout* layout = nullptr);
  // Like LoadManifest, but an absent manifest is an empty one.
  Result<Manifest> LoadManifestOrEmpty(ManifestLayout* layout = nullptr);
  // Replaces the whole manifest: writes manifest.json (atomic Put), then deletes the
  // entry objects, then the tombstones it folded (a crash in between leaves objects
  // that repeat what the index says).
  Status SaveManifest(const Manifest& manifest);
  // A new manifest for a storage without manifest.json: first deletes every leftover
  // entry object under manifest/ (backups whose index is gone; tombstones stay), then
  // writes manifest.json.
  Status StartManifest(const Manifest& manifest);
  // Adds one backup: manifest/<id>.json, create-only (AlreadyExists if present).
  Status AddEntry(const SnapshotEntry& entry);
  // Removes one backup from the manifest: manifest/<id>.deleted (present is fine).
  Status AddTombstone(uint64_t id, int64_t now_ms);
  // Folds the entry objects and tombstones into manifest.json (SaveManifest of the
  // loaded manifest).
  Status CompactManifest();
  size_t compact_after() const { return compact_after_; }
  void set_compact_after(size_t n) { compact_after_ = n; }

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
  Result<Manifest> LoadManifestOnce(ManifestLayout* layout);
  // Lists manifest/: entry ids and tombstone ids (other names are ignored).
  Status ListManifestObjects(std::vector<uint64_t>* entries, std::vector<uint64_t>* tombstones);

  ObjectStore* store_;
  size_t compact_after_ = kDefaultCompactAfter;
};

}  // namespace cairn
