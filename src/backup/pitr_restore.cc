#include "backup/pitr_restore.h"

#include <charconv>
#include <future>
#include <limits>

#include "backup/pitr_range.h"
#include "backup/restore_target.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "common/epoch.h"
#include "meta/keys.h"
#include "meta/time_spec.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

using MetaState = std::map<std::string, std::string>;
constexpr uint64_t kLatest = std::numeric_limits<uint64_t>::max();

void Progress(const PointInTimeOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

std::string DescribeEpoch(uint64_t epoch) {
  return FormatRfc3339Millis(EpochToMillis(epoch)) + " (epoch " + std::to_string(epoch) + ")";
}

Result<uint64_t> TargetEpoch(const PointInTimeOptions& options) {
  int given = !options.to_time.empty() + (options.to_epoch != 0) + options.to_latest;
  if (given != 1) {
    return Status::InvalidArgument(
        "point-in-time restore needs exactly one of --to-time, --to-epoch or latest");
  }
  if (options.to_latest) return kLatest;
  if (options.to_epoch != 0) return options.to_epoch;
  auto epoch = ParseTimeSpecToEpoch(options.to_time);
  if (!epoch.ok()) return epoch.status().WithContext("--to-time");
  return *epoch;
}

Status CheckInRange(uint64_t target, const RecoverableRange& range, int64_t now_ms) {
  if (range.empty) {
    return Status::InvalidArgument("nothing to restore to " + DescribeEpoch(target) + ": " +
                                   range.ToString());
  }
  if (target > MaxEpochAtMillis(now_ms)) {
    return Status::InvalidArgument("target " + DescribeEpoch(target) + " is in the future; " +
                                   range.ToString());
  }
  if (target < range.from_epoch || target > range.to_epoch) {
    return Status::InvalidArgument("target " + DescribeEpoch(target) +
                                   " is outside what backup storage can restore (" +
                                   (target < range.from_epoch ? "before the oldest snapshot"
                                                              : "after the archived changelog") +
                                   "); " + range.ToString());
  }
  return Status::OK();
}

// The newest snapshot known to be complete at `target` that replay can start from.
const SnapshotEntry* PickSnapshot(const ArchiveView& view, uint64_t target) {
  const SnapshotEntry* best = nullptr;
  for (const auto& s : view.manifest.snapshots) {
    if (!CanReplayFrom(s, view.segments)) continue;
    if (target != kLatest && SnapshotBoundEpoch(s) > target) continue;
    if (!best || s.changelog_seq > best->changelog_seq ||
        (s.changelog_seq == best->changelog_seq && s.created_ms > best->created_ms)) {
      best = &s;
    }
  }
  return best;
}

// Reads the snapshot once: its records, checked against the manifest entry.
Result<MetaState> LoadSnapshot(BackupStorage* backups, const SnapshotEntry& entry) {
  MetaState state;
  SnapshotHeader header;
  SnapshotFileInfo info;
  CAIRN_RETURN_IF_ERROR(ReadSnapshot(backups->store(), entry.file, &header, &info,
                                     [&](std::string_view key, std::string_view value) {
                                       state.emplace_hint(state.end(), key, value);
                                       return Status::OK();
                                     }));
  if (header.snapshot_id != entry.id || info.checksum != entry.checksum ||
      info.file_size != entry.file_size || header.changelog_seq != entry.changelog_seq) {
    return Status::Corruption("snapshot file " + entry.file +
                              " does not match its manifest entry (id, size or checksum differ)");
  }
  return state;
}

// Replays the archived records after the snapshot up to the first one past `target`;
// records past it only raise `ids` (ids are never reused, even across a restore).
Status Replay(BackupStorage* backups, const ArchiveView& view, uint64_t target,
              const PointInTimeOptions& options, MetaState* state, PointInTimePlan* plan,
              std::map<std::string, uint64_t>* later_ids) {
  uint64_t next = plan->snapshot.changelog_seq + 1;
  bool stopped = false;
  const auto& segments = view.segments;
  size_t i = 0;
  while (i < segments.size() && segments[i].last_seq < next) ++i;
  // Reads (and decompresses, and decodes) the next segment while this one is applied.
  auto fetch = [&](size_t k) {
    return std::async(std::launch::async, [store = backups->store(), seg = segments[k]] {
      return ReadSegment(store, seg);
    });
  };
  std::future<Result<std::vector<ChangelogRecord>>> ahead;
  if (i < segments.size()) ahead = fetch(i);
  for (; i < segments.size(); ++i) {
    const SegmentInfo& seg = segments[i];
    if (seg.first_seq > next && !stopped) {
      return Status::NotFound(
          "archived changelog gap: seqs " + std::to_string(next) + ".." +
          std::to_string(seg.first_seq - 1) + " are missing between " +
          (i > 0 ? segments[i - 1].key : "snapshot " + std::to_string(plan->snapshot.id)) +
          " and " + seg.key + " (restore from snapshot " + std::to_string(plan->snapshot.id) +
          " needs them)");
    }
    Result<std::vector<ChangelogRecord>> records = ahead.get();
    if (i + 1 < segments.size()) ahead = fetch(i + 1);
    if (!records.ok()) return records.status();
    plan->segments_read++;
    for (const auto& record : *records) {
      if (record.seq < next) continue;
      if (stopped || record.epoch > target) {
        stopped = true;
        MaxIdsIn(record, later_ids);
        continue;
      }
      ApplyChangelogRecord(record, state);
      plan->replayed_records++;
      plan->last_seq = record.seq;
      plan->last_epoch = record.epoch;
      plan->last_wall_ms = record.wall_time_ms;
      next = record.seq + 1;
    }
    if (!stopped) Progress(options, "replayed through seq " + std::to_string(next - 1));
  }
  if (stopped || target == kLatest) return Status::OK();
  // The archive ended before the target: fine unless a newer snapshot proves that
  // records which may be at or before the target exist but were never archived.
  for (const auto& s : view.manifest.snapshots) {
    if (s.changelog_seq >= next) {
      return Status::NotFound("archived changelog gap: seqs " + std::to_string(next) + ".." +
                              std::to_string(s.changelog_seq) + " (up to snapshot " +
                              std::to_string(s.id) + ") were never archived; restore to " +
                              DescribeEpoch(target) + " needs them");
    }
  }
  return Status::OK();
}

bool IsExcluded(std::string_view key) {
  for (auto prefix : keys::kExcludedPrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

// Drops keys restore does not carry over and collects SSTs and id generators.
Status Finalize(MetaState* state, std::vector<SnapshotSst>* ssts,
                std::map<std::string, uint64_t>* ids) {
  for (auto it = state->begin(); it != state->end();) {
    const std::string& key = it->first;
    uint64_t id = 0;
    if (key.starts_with(keys::kStorageSstPrefix) &&
        ParseHexId(std::string_view(key).substr(keys::kStorageSstPrefix.size()), &id)) {
      auto sst = DecodeSstMeta(it->second);
      if (!sst.ok()) return sst.status().WithContext("restored key " + key);
      ssts->push_back({id, sst->file_size});
    }
    if (key.starts_with(keys::kIdPrefix)) {
      uint64_t v = 0;
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
      auto& slot = (*ids)[key.substr(keys::kIdPrefix.size())];
      slot = std::max(slot, v);
      it = state->erase(it);  // written bumped
    } else if (IsExcluded(key)) {
      it = state->erase(it);  // pins are rewritten from the manifest, like snapshot restore
    } else {
      ++it;
    }
  }
  return Status::OK();
}

}  // namespace

Result<PointInTimePlan> RestoreToPoint(BackupStorage* backups, ObjectStore* objects,
                                       MetaStore* target, const PointInTimeOptions& options) {
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  CAIRN_ASSIGN_OR_RETURN(uint64_t target_epoch, TargetEpoch(options));
  Progress(options, "reading manifest and listing archived changelog");
  CAIRN_ASSIGN_OR_RETURN(ArchiveView view, LoadArchiveView(backups));
  PointInTimePlan plan;
  plan.range = ComputeRange(view, options.checkpoint_interval_ms, clock->NowMillis());
  if (target_epoch != kLatest) {
    CAIRN_RETURN_IF_ERROR(CheckInRange(target_epoch, plan.range, clock->NowMillis()));
  }
  const SnapshotEntry* start = PickSnapshot(view, target_epoch);
  if (start == nullptr) {
    return Status::InvalidArgument("no snapshot to start from; " + plan.range.ToString());
  }
  plan.snapshot = *start;
  plan.target_epoch = target_epoch;
  plan.last_seq = start->changelog_seq;
  CAIRN_ASSIGN_OR_RETURN(RestoreTargetState target_state,
                         CheckRestoreSafety(objects, target, start->cluster_id,
                                            {options.overwrite, options.force, clock}));
  plan.target_was_empty = target_state.empty;

  Progress(options, "loading snapshot " + start->file);
  CAIRN_ASSIGN_OR_RETURN(MetaState state, LoadSnapshot(backups, *start));
  std::map<std::string, uint64_t> ids;
  CAIRN_RETURN_IF_ERROR(Replay(backups, view, target_epoch, options, &state, &plan, &ids));
  if (target_epoch == kLatest) plan.target_epoch = std::max(plan.last_epoch, start->epoch);

  std::vector<SnapshotSst> ssts;
  CAIRN_RETURN_IF_ERROR(Finalize(&state, &ssts, &ids));
  Progress(options, "checking " + std::to_string(ssts.size()) + " SSTs");
  uint64_t max_listed = 0;
  CAIRN_RETURN_IF_ERROR(VerifySsts(objects, ssts, &max_listed));
  BumpIdGenerators(view.manifest, max_listed, &ids);
  plan.sst_count = ssts.size();
  plan.keys = state.size();
  plan.id_generators = ids;
  plan.pins = view.manifest.snapshots.size();
  if (options.dry_run) return plan;

  Progress(options, "writing " + std::to_string(plan.keys) + " keys");
  RestoreHead head{"epoch " + std::to_string(plan.target_epoch) + " (snapshot " +
                       std::to_string(start->id) + " + " + std::to_string(plan.replayed_records) +
                       " changelog records) of " + backups->store()->DescribeForLog(),
                   start->cluster_id, ids, &view.manifest, clock};
  CAIRN_RETURN_IF_ERROR(
      WriteRestoreTarget(target, objects, target_state, head, [&](RestoreBatchWriter* batch) {
        for (auto& [key, value] : state) CAIRN_RETURN_IF_ERROR(batch->Put(key, std::move(value)));
        return Status::OK();
      }));
  plan.written = true;
  return plan;
}

}  // namespace cairn
