#include "backup/restore.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "meta/backup_pins.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr size_t kBatchOps = 512;
constexpr size_t kBatchBytes = 1 << 20;

void Progress(const RestoreOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

// Id generators go above everything ever issued: this snapshot, every snapshot in the
// manifest, and every object in the object store.
std::map<std::string, uint64_t> BumpedIdGenerators(const Manifest& manifest,
                                                   const VerifiedSnapshot& snapshot,
                                                   uint64_t max_listed_object) {
  std::map<std::string, uint64_t> ids = snapshot.id_generators;
  uint64_t max_backup = 0;
  for (const auto& entry : manifest.snapshots) {
    for (const auto& [name, value] : entry.id_generators) ids[name] = std::max(ids[name], value);
    ids["object"] = std::max(ids["object"], entry.max_object_id);
    max_backup = std::max(max_backup, entry.id);
  }
  ids["object"] = std::max(ids["object"], max_listed_object + 1);
  ids["backup"] = std::max(ids["backup"], max_backup + 1);
  return ids;
}

class BatchWriter {
 public:
  explicit BatchWriter(MetaStore* target) : target_(target) {}
  Status Put(std::string key, std::string value) {
    bytes_ += key.size() + value.size();
    txn_.ops.push_back(Op::Put(std::move(key), std::move(value)));
    if (txn_.ops.size() >= kBatchOps || bytes_ >= kBatchBytes) return Flush();
    return Status::OK();
  }
  Status Flush() {
    if (txn_.ops.empty()) return Status::OK();
    auto committed = target_->Commit(txn_);
    txn_.ops.clear();
    bytes_ = 0;
    return committed.status();
  }

 private:
  MetaStore* target_;
  Txn txn_;
  size_t bytes_ = 0;
};

// Pass 2: writes the snapshot with bumped generators, then one pin per backup.
Status WriteRestore(BackupStorage* backups, const Manifest& manifest, const SnapshotEntry& entry,
                    const RestorePlan& plan, MetaStore* target) {
  BatchWriter batch(target);
  SnapshotHeader header;
  SnapshotFileInfo info;
  CAIRN_RETURN_IF_ERROR(ReadSnapshot(backups->store(), entry.file, &header, &info,
                                     [&](std::string_view key, std::string_view value) {
                                       if (key.starts_with(keys::kIdPrefix))
                                         return Status::OK();  // written bumped below
                                       return batch.Put(std::string(key), std::string(value));
                                     }));
  for (const auto& [name, value] : plan.id_generators) {
    CAIRN_RETURN_IF_ERROR(batch.Put(keys::IdKey(name), std::to_string(value)));
  }
  for (const auto& s : manifest.snapshots) {
    CAIRN_RETURN_IF_ERROR(batch.Put(PinKey(s.id), EncodePin({s.id, s.epoch, s.max_object_id})));
  }
  return batch.Flush();
}

std::string AvailableIds(const Manifest& manifest) {
  if (manifest.snapshots.empty()) return "none";
  std::string out;
  for (const auto& s : manifest.snapshots) out += (out.empty() ? "" : ", ") + std::to_string(s.id);
  return out;
}

}  // namespace

Result<RestorePlan> RestoreSnapshot(BackupStorage* backups, ObjectStore* objects, MetaStore* target,
                                    const RestoreOptions& options) {
  Progress(options, "reading manifest");
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, backups->LoadManifest());
  const SnapshotEntry* entry = manifest.Find(options.snapshot_id);
  if (entry == nullptr) {
    return Status::NotFound("snapshot " + std::to_string(options.snapshot_id) +
                            " is not in the manifest of " + backups->store()->DescribeForLog() +
                            " (available: " + AvailableIds(manifest) + ")");
  }
  if (options.check_writer_lease) CAIRN_RETURN_IF_ERROR(options.check_writer_lease());

  RestorePlan plan;
  plan.snapshot = *entry;
  CAIRN_ASSIGN_OR_RETURN(auto first_keys, target->Range("", "", 1));
  plan.target_was_empty = first_keys.empty();
  if (!plan.target_was_empty && !options.overwrite) {
    return Status::AlreadyExists("target meta store " + target->DescribeForLog() +
                                 " is not empty (it holds '" + first_keys[0].key +
                                 "'); restore needs an empty meta store, or --overwrite");
  }

  Progress(options, "verifying snapshot " + entry->file);
  CAIRN_ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, VerifySnapshot(backups, *entry));
  Progress(options, "checking " + std::to_string(snapshot.sst_ids.size()) + " SSTs");
  uint64_t max_listed = 0;
  CAIRN_RETURN_IF_ERROR(VerifySstsExist(objects, snapshot.sst_ids, &max_listed));

  plan.records = snapshot.records;
  plan.sst_count = snapshot.sst_ids.size();
  plan.id_generators = BumpedIdGenerators(manifest, snapshot, max_listed);
  plan.pins = manifest.snapshots.size();
  if (options.dry_run) return plan;

  Progress(options, "writing " + std::to_string(plan.records) + " records");
  Status status;
  if (!plan.target_was_empty)
    status = target->Commit({{}, {Op::DeleteRange(std::string(1, '\0'), "")}}).status();
  if (status.ok()) status = WriteRestore(backups, manifest, *entry, plan, target);
  if (!status.ok()) {
    // Leave the target empty rather than half restored.
    (void)target->Commit({{}, {Op::DeleteRange(std::string(1, '\0'), "")}});
    return status.WithContext("restore failed, target meta store left empty");
  }
  plan.written = true;
  return plan;
}

}  // namespace cairn
