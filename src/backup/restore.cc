#include "backup/restore.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "backup/pitr_restore_util.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "meta/keys.h"

namespace cairn {
namespace {

void Progress(const RestoreOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

// Pass 2: streams the snapshot (id generators are written bumped, by PutIdsAndPins).
Status FillFromSnapshot(BackupStorage* backups, const SnapshotEntry& entry,
                        RestoreBatchWriter* batch) {
  SnapshotHeader header;
  SnapshotFileInfo info;
  return ReadSnapshot(backups->store(), entry.file, &header, &info,
                      [&](std::string_view key, std::string_view value) {
                        if (key.starts_with(keys::kIdPrefix)) return Status::OK();
                        return batch->Put(std::string(key), std::string(value));
                      });
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
  CAIRN_ASSIGN_OR_RETURN(plan.target_was_empty, CheckRestoreTarget(target, options.overwrite));

  Progress(options, "verifying snapshot " + entry->file);
  CAIRN_ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, VerifySnapshot(backups, *entry));
  Progress(options, "checking " + std::to_string(snapshot.sst_ids.size()) + " SSTs");
  uint64_t max_listed = 0;
  CAIRN_RETURN_IF_ERROR(VerifySstsExist(objects, snapshot.sst_ids, &max_listed));

  plan.records = snapshot.records;
  plan.sst_count = snapshot.sst_ids.size();
  plan.id_generators = snapshot.id_generators;
  BumpIdGenerators(manifest, max_listed, &plan.id_generators);
  plan.pins = manifest.snapshots.size();
  if (options.dry_run) return plan;

  Progress(options, "writing " + std::to_string(plan.records) + " records");
  CAIRN_RETURN_IF_ERROR(
      WriteRestoreTarget(target, plan.target_was_empty, [&](RestoreBatchWriter* batch) {
        CAIRN_RETURN_IF_ERROR(FillFromSnapshot(backups, *entry, batch));
        return PutIdsAndPins(manifest, plan.id_generators, batch);
      }));
  plan.written = true;
  return plan;
}

}  // namespace cairn
