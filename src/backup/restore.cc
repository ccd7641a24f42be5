#include "backup/restore.h"

#include <algorithm>
#include <future>
#include <vector>

#include "backup/pitr_segment.h"
#include "backup/restore_target.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "meta/deleted_ids.h"
#include "meta/keys.h"

namespace cairn {
namespace {

void Progress(const RestoreOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

// Pass 2: streams the snapshot (id generators are written bumped, by the restore head).
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

// That the object store holds every SST of the snapshot at its size (unless !check);
// returns the largest object id listed or vacuumed (never issued again).
Result<uint64_t> CheckSsts(ObjectStore* objects, const SnapshotEntry& entry,
                           const std::vector<SnapshotSst>& ssts, bool check) {
  uint64_t max_listed = 0;
  if (check) {
    CAIRN_RETURN_IF_ERROR(ReferenceOnlyMissing(entry, VerifySsts(objects, ssts, &max_listed)));
  }
  CAIRN_ASSIGN_OR_RETURN(uint64_t max_deleted, ReadMaxDeletedObjectId(objects));
  return std::max(max_listed, max_deleted);
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
  RestorePlan plan;
  plan.snapshot = *entry;
  CAIRN_ASSIGN_OR_RETURN(RestoreTargetState state,
                         CheckRestoreSafety(objects, target, entry->cluster_id,
                                            {options.overwrite, options.force, options.clock}));
  plan.target_was_empty = state.empty;

  Progress(options, "verifying snapshot " + entry->file);
  CAIRN_ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, VerifySnapshot(backups, *entry));
  Progress(options, "checking " + std::to_string(snapshot.ssts.size()) + " SSTs");
  CAIRN_ASSIGN_OR_RETURN(CopyBackReport copied,
                         RestoreSstCopies(backups, objects, *entry, snapshot.ssts, options.dry_run,
                                          {options.copy_threads, options.copy_progress}));
  plan.copied_ssts = copied.missing;
  plan.copied_bytes = copied.bytes;
  // The SST check runs while an empty target is written, on its own thread (or after the
  // write: !parallel_check), and its failure clears the target and removes a store the
  // restore created. Any other target, or a dry run: before anything is written.
  const bool alongside = state.empty && !options.dry_run && target->CanUndoCreate();
  const bool check = !options.dry_run || copied.missing == 0;
  std::future<Result<uint64_t>> max_listed =
      std::async(alongside && options.parallel_check ? std::launch::async : std::launch::deferred,
                 [&] { return CheckSsts(objects, *entry, snapshot.ssts, check); });

  plan.records = snapshot.records;
  plan.sst_count = snapshot.ssts.size();
  plan.id_generators = snapshot.id_generators;
  Progress(options, "reading the archived changelog for id generators");
  CAIRN_RETURN_IF_ERROR(
      RaiseIdsFromArchive(backups, manifest, &plan.id_generators, &plan.archived_records_scanned));
  BumpIdGenerators(manifest, 0, &plan.id_generators);
  // Raises the ids above every listed or vacuumed object once the check is done.
  auto checked = [&](std::map<std::string, uint64_t>* ids) -> Status {
    CAIRN_ASSIGN_OR_RETURN(uint64_t max_object, max_listed.get());
    BumpIdGenerators(manifest, max_object, ids);
    BumpIdGenerators(manifest, max_object, &plan.id_generators);
    return Status::OK();
  };
  if (!alongside) CAIRN_RETURN_IF_ERROR(checked(&plan.id_generators));
  plan.pins = manifest.snapshots.size();
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  RestoreHead head{
      "snapshot " + std::to_string(entry->id) + " of " + backups->store()->DescribeForLog(),
      entry->cluster_id,
      plan.id_generators,
      &manifest,
      clock,
      backups};
  head.clone = options.clone;
  if (alongside) head.checked = [&](RestoreHead* h) { return checked(&h->ids); };
  CAIRN_ASSIGN_OR_RETURN(head.timeline, PlanTimeline(backups, entry->timeline, entry->changelog_seq,
                                                     entry->epoch, entry->created_ms, head.what,
                                                     entry->cluster_id, clock->NowMillis()));
  CAIRN_ASSIGN_OR_RETURN(head.storage_id, PlanStorageId(backups, clock->NowMillis()));
  plan.timeline = head.timeline.timeline;
  if (options.dry_run) return plan;

  Progress(options, "writing " + std::to_string(plan.records) + " records" +
                        (alongside && options.parallel_check ? " while checking the SSTs" : ""));
  CAIRN_RETURN_IF_ERROR(WriteRestoreTarget(
      target, objects, state, head,
      [&](RestoreBatchWriter* batch) { return FillFromSnapshot(backups, *entry, batch); }));
  plan.written = true;
  return plan;
}

}  // namespace cairn
