#include "backup/restore.h"

#include <vector>

#include "backup/pitr_segment.h"
#include "backup/restore_target.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
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

std::string AvailableIds(const Manifest& manifest) {
  if (manifest.snapshots.empty()) return "none";
  std::string out;
  for (const auto& s : manifest.snapshots) out += (out.empty() ? "" : ", ") + std::to_string(s.id);
  return out;
}

// Ids issued after the newest snapshot (tables, backups, objects since vacuumed) are
// known only to the archived changelog: raise `ids` to every value its later records put.
Status RaiseIdsFromArchive(BackupStorage* backups, const Manifest& manifest,
                           std::map<std::string, uint64_t>* ids, uint64_t* scanned) {
  uint64_t newest_seq = 0;
  for (const auto& s : manifest.snapshots) newest_seq = std::max(newest_seq, s.changelog_seq);
  CAIRN_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(backups->store()));
  for (const SegmentInfo& segment : segments) {
    if (segment.last_seq <= newest_seq) continue;
    auto records = ReadSegment(backups->store(), segment);
    if (!records.ok()) {
      return records.status().WithContext("reading the archived changelog for id generators");
    }
    for (const auto& record : *records) MaxIdsIn(record, ids);
    *scanned += records->size();
  }
  return Status::OK();
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
  uint64_t max_listed = 0;
  CAIRN_RETURN_IF_ERROR(VerifySsts(objects, snapshot.ssts, &max_listed));

  plan.records = snapshot.records;
  plan.sst_count = snapshot.ssts.size();
  plan.id_generators = snapshot.id_generators;
  Progress(options, "reading the archived changelog for id generators");
  CAIRN_RETURN_IF_ERROR(
      RaiseIdsFromArchive(backups, manifest, &plan.id_generators, &plan.archived_records_scanned));
  BumpIdGenerators(manifest, max_listed, &plan.id_generators);
  plan.pins = manifest.snapshots.size();
  if (options.dry_run) return plan;

  Progress(options, "writing " + std::to_string(plan.records) + " records");
  RestoreHead head{
      "snapshot " + std::to_string(entry->id) + " of " + backups->store()->DescribeForLog(),
      entry->cluster_id, plan.id_generators, &manifest,
      options.clock ? options.clock : SystemClock::Default()};
  CAIRN_RETURN_IF_ERROR(WriteRestoreTarget(
      target, objects, state, head,
      [&](RestoreBatchWriter* batch) { return FillFromSnapshot(backups, *entry, batch); }));
  plan.written = true;
  return plan;
}

}  // namespace cairn
