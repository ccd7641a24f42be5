#include "backup/pitr_restore.h"

#include <algorithm>
#include <charconv>
#include <future>
#include <limits>
#include <optional>
#include <utility>

#include "backup/pitr_range.h"
#include "backup/restore_target.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "common/epoch.h"
#include "meta/deleted_ids.h"
#include "meta/keys.h"
#include "meta/time_spec.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

using IdMap = std::map<std::string, uint64_t>;
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

// Streams snapshot `entry` to `fn`, then checks it against its manifest entry. Both
// passes read it this way (pass 2 again: a file changed between them fails the write).
Status StreamSnapshot(BackupStorage* backups, const SnapshotEntry& entry,
                      const SnapshotRecordFn& fn) {
  SnapshotHeader header;
  SnapshotFileInfo info;
  CAIRN_RETURN_IF_ERROR(ReadSnapshot(backups->store(), entry.file, &header, &info, fn));
  if (header.snapshot_id != entry.id || info.checksum != entry.checksum ||
      info.file_size != entry.file_size || header.changelog_seq != entry.changelog_seq) {
    return Status::Corruption("snapshot file " + entry.file +
                              " does not match its manifest entry (id, size or checksum differ)");
  }
  return Status::OK();
}

bool IsExcluded(std::string_view key) {
  for (auto prefix : keys::kExcludedPrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

// Keys restore does not carry over from the backup: ids/ (the restore head writes them
// bumped) and the excluded prefixes (pins are rewritten from the manifest, like snapshot
// restore; the marker is the restore's own).
bool IsDropped(std::string_view key) { return key.starts_with(keys::kIdPrefix) || IsExcluded(key); }

// Erases [begin, end) ("" = no upper bound) from `map`, as ApplyChangelogRecord does.
template <typename Map>
void EraseRange(Map* map, const std::string& begin, const std::string& end) {
  if (!end.empty() && end <= begin) return;
  map->erase(map->lower_bound(begin), end.empty() ? map->end() : map->lower_bound(end));
}

// ---- pass 1: verify, write nothing ---------------------------------------------------

// The object id of an SST key, parsed as VerifySnapshot parses it.
bool SstKeyId(std::string_view key, uint64_t* id) {
  return key.starts_with(keys::kStorageSstPrefix) &&
         ParseHexId(key.substr(keys::kStorageSstPrefix.size()), id);
}

Result<uint64_t> RecordedSize(std::string_view key, std::string_view value) {
  auto sst = DecodeSstMeta(value);
  if (!sst.ok()) return sst.status().WithContext("restored key " + std::string(key));
  return sst->file_size;
}

// The SSTs of the restored state and their recorded sizes, without the state: the
// snapshot's canonical storage/sst/<16 hex> keys in an id-sorted array (16 bytes and a
// bit each: the version, not the metadata), every other SST key (added by the replay,
// spelled oddly, or with a value that does not decode) in a map. Ops change it as
// ApplyChangelogRecord changes the state; an undecodable value is an error only if it
// is still there at the end.
class SstSet {
 public:
  void Reserve(size_t ssts) { base_.reserve(ssts), live_.reserve(ssts); }
  void AddSnapshot(std::string_view key, std::string_view value);  // ascending keys
  void Put(const std::string& key, std::string_view value);
  void Delete(const std::string& key);
  void DeleteRange(const std::string& begin, const std::string& end);
  // Moves every SST still present to `out` (the set is left empty); the first
  // undecodable one (key order) is an error.
  Status TakeAll(std::vector<SnapshotSst>* out);

 private:
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();
  size_t Find(std::string_view key) const;          // index of canonical `key` in base_
  size_t LowerBound(const std::string& key) const;  // first base_ entry with key >= `key`

  std::vector<SnapshotSst> base_;
  std::vector<bool> live_;
  std::map<std::string, Result<uint64_t>> other_;
};

void SstSet::AddSnapshot(std::string_view key, std::string_view value) {
  uint64_t id = 0;
  if (!SstKeyId(key, &id)) return;
  Result<uint64_t> size = RecordedSize(key, value);
  bool ascending = base_.empty() || base_.back().id < id;
  if (size.ok() && ascending && key == keys::SstKey(id)) {
    base_.push_back({id, *size});
    live_.push_back(true);
  } else {
    other_.insert_or_assign(std::string(key), std::move(size));
  }
}

size_t SstSet::Find(std::string_view key) const {
  uint64_t id = 0;
  if (!SstKeyId(key, &id) || key != keys::SstKey(id)) return kNone;
  auto it = std::lower_bound(base_.begin(), base_.end(), id,
                             [](const SnapshotSst& s, uint64_t v) { return s.id < v; });
  return it != base_.end() && it->id == id ? static_cast<size_t>(it - base_.begin()) : kNone;
}

size_t SstSet::LowerBound(const std::string& key) const {
  auto it = std::partition_point(base_.begin(), base_.end(),
                                 [&](const SnapshotSst& s) { return keys::SstKey(s.id) < key; });
  return static_cast<size_t>(it - base_.begin());
}

void SstSet::Put(const std::string& key, std::string_view value) {
  uint64_t id = 0;
  if (!SstKeyId(key, &id)) return;
  Result<uint64_t> size = RecordedSize(key, value);
  size_t i = Find(key);
  if (i != kNone && size.ok()) {
    base_[i].size = *size;
    live_[i] = true;
    other_.erase(key);
    return;
  }
  if (i != kNone) live_[i] = false;
  other_.insert_or_assign(key, std::move(size));
}

void SstSet::Delete(const std::string& key) {
  size_t i = Find(key);
  if (i != kNone) live_[i] = false;
  other_.erase(key);
}

void SstSet::DeleteRange(const std::string& begin, const std::string& end) {
  EraseRange(&other_, begin, end);
  if (!end.empty() && end <= begin) return;
  size_t last = end.empty() ? base_.size() : LowerBound(end);
  for (size_t i = LowerBound(begin); i < last; ++i) live_[i] = false;
}

Status SstSet::TakeAll(std::vector<SnapshotSst>* out) {
  for (const auto& [key, size] : other_) {
    if (!size.ok()) return size.status();
  }
  size_t kept = 0;
  for (size_t i = 0; i < base_.size(); ++i) {
    if (live_[i]) base_[kept++] = base_[i];
  }
  base_.resize(kept);
  *out = std::move(base_);
  base_.clear();
  live_.clear();
  for (const auto& [key, size] : other_) {
    uint64_t id = 0;
    SstKeyId(key, &id);
    out->push_back({id, *size});
  }
  return Status::OK();
}

// What pass 1 keeps of the restored state: its SSTs, its ids/ keys and how many keys the
// snapshot restores. Never the state itself.
class StateFacts {
 public:
  // `snapshot_ssts`: the manifest's count, a hint (capped: the manifest may be wrong).
  explicit StateFacts(uint64_t snapshot_ssts) {
    ssts_.Reserve(std::min<uint64_t>(snapshot_ssts, uint64_t{1} << 26));
  }
  void AddSnapshotKey(std::string_view key, std::string_view value);
  void Apply(const ChangelogRecord& record);
  // The SSTs (moved out); `ids` raised to the state's id generators.
  Status Finish(std::vector<SnapshotSst>* ssts, IdMap* ids);
  uint64_t snapshot_keys() const { return snapshot_keys_; }

 private:
  SstSet ssts_;
  std::map<std::string, std::string> ids_;  // ids/<name> -> value
  uint64_t snapshot_keys_ = 0;
};

void StateFacts::AddSnapshotKey(std::string_view key, std::string_view value) {
  ssts_.AddSnapshot(key, value);
  if (key.starts_with(keys::kIdPrefix)) ids_.emplace_hint(ids_.end(), key, value);
  if (!IsDropped(key)) ++snapshot_keys_;
}

void StateFacts::Apply(const ChangelogRecord& record) {
  for (const Op& op : record.ops) {
    bool id = op.key.starts_with(keys::kIdPrefix);
    switch (op.kind) {
      case Op::Kind::kPut:
        if (id) ids_[op.key] = op.value;
        if (!id) ssts_.Put(op.key, op.value);
        break;
      case Op::Kind::kDelete:
        if (id) ids_.erase(op.key);
        if (!id) ssts_.Delete(op.key);
        break;
      case Op::Kind::kDeleteRange:
        EraseRange(&ids_, op.key, op.end);
        ssts_.DeleteRange(op.key, op.end);
        break;
    }
  }
}

Status StateFacts::Finish(std::vector<SnapshotSst>* ssts, IdMap* ids) {
  CAIRN_RETURN_IF_ERROR(ssts_.TakeAll(ssts));
  for (const auto& [key, value] : ids_) {
    uint64_t v = 0;
    std::from_chars(value.data(), value.data() + value.size(), v);
    auto& slot = (*ids)[key.substr(keys::kIdPrefix.size())];
    slot = std::max(slot, v);
  }
  return Status::OK();
}

// The first segment that may hold seq `next`.
size_t FirstSegment(const std::vector<SegmentInfo>& segments, uint64_t next) {
  size_t i = 0;
  while (i < segments.size() && segments[i].last_seq < next) ++i;
  return i;
}

// Reads segments[first, end) in order with a one-ahead prefetch: the next segment is
// read, decompressed and decoded on a second thread while the caller applies the
// current one, so at most two segments are in memory.
class SegmentStream {
 public:
  SegmentStream(ObjectStore* store, const std::vector<SegmentInfo>& segments, size_t first,
                size_t end, bool read_ahead)
      : store_(store),
        segments_(segments),
        read_ahead_(read_ahead),
        i_(first),
        end_(std::min(end, segments.size())) {
    if (i_ < end_) ahead_ = Fetch(i_);
  }
  bool done() const { return i_ >= end_; }
  size_t index() const { return i_; }  // the segment Next() returns
  Result<std::vector<ChangelogRecord>> Next() {
    Result<std::vector<ChangelogRecord>> records = ahead_.get();
    if (++i_ < end_) ahead_ = Fetch(i_);
    return records;
  }

 private:
  std::future<Result<std::vector<ChangelogRecord>>> Fetch(size_t k) {
    return std::async(read_ahead_ ? std::launch::async : std::launch::deferred,
                      [store = store_, seg = segments_[k]] { return ReadSegment(store, seg); });
  }

  ObjectStore* store_;
  const std::vector<SegmentInfo>& segments_;
  bool read_ahead_;  // off: each segment is read when Next() asks for it, on this thread
  size_t i_, end_;
  std::future<Result<std::vector<ChangelogRecord>>> ahead_;
};

Status GapBefore(const ArchiveView& view, size_t i, uint64_t next, const SnapshotEntry& snapshot) {
  const auto& segments = view.segments;
  return Status::NotFound(
      "archived changelog gap: seqs " + std::to_string(next) + ".." +
      std::to_string(segments[i].first_seq - 1) + " are missing between " +
      (i > 0 ? segments[i - 1].key : "snapshot " + std::to_string(snapshot.id)) + " and " +
      segments[i].key + " (restore from snapshot " + std::to_string(snapshot.id) + " needs them)");
}

// The archive ended before the target: fine unless a newer snapshot proves that records
// which may be at or before the target exist but were never archived.
Status CheckNothingUnarchived(const ArchiveView& view, uint64_t next, uint64_t target) {
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

// Pass 1 over the archived records after the snapshot up to the first one past `target`:
// `facts` follows them and `plan` records where replay stops. Records past it only raise
// `later_ids` (ids are never reused, even across a restore).
Status Replay(BackupStorage* backups, const ArchiveView& view, uint64_t target,
              const PointInTimeOptions& options, StateFacts* facts, PointInTimePlan* plan,
              IdMap* later_ids) {
  uint64_t next = plan->snapshot.changelog_seq + 1;
  bool stopped = false;
  SegmentStream stream(backups->store(), view.segments, FirstSegment(view.segments, next),
                       view.segments.size(), options.read_ahead);
  while (!stream.done()) {
    size_t i = stream.index();
    if (view.segments[i].first_seq > next && !stopped) {
      return GapBefore(view, i, next, plan->snapshot);
    }
    CAIRN_ASSIGN_OR_RETURN(std::vector<ChangelogRecord> records, stream.Next());
    plan->segments_read++;
    for (const auto& record : records) {
      if (record.seq < next) continue;
      if (stopped || record.epoch > target) {
        stopped = true;
        MaxIdsIn(record, later_ids);
        continue;
      }
      facts->Apply(record);
      plan->replayed_records++;
      plan->last_seq = record.seq;
      plan->last_epoch = record.epoch;
      plan->last_wall_ms = record.wall_time_ms;
      next = record.seq + 1;
    }
    if (!stopped) Progress(options, "replayed through seq " + std::to_string(next - 1));
  }
  if (stopped || target == kLatest) return Status::OK();
  return CheckNothingUnarchived(view, next, target);
}

// Pass 1: every check before the first write, and the plan (ids, SSTs, where replay
// stops). Memory: the SSTs of the restored state, its id generators and two segments.
Status PlanRestore(BackupStorage* backups, ObjectStore* objects, const ArchiveView& view,
                   const PointInTimeOptions& options, PointInTimePlan* plan) {
  Progress(options, "reading snapshot " + plan->snapshot.file);
  StateFacts facts(plan->snapshot.sst_count);
  CAIRN_RETURN_IF_ERROR(
      StreamSnapshot(backups, plan->snapshot, [&](std::string_view key, std::string_view value) {
        facts.AddSnapshotKey(key, value);
        return Status::OK();
      }));
  IdMap ids;
  CAIRN_RETURN_IF_ERROR(Replay(backups, view, plan->target_epoch, options, &facts, plan, &ids));
  if (plan->target_epoch == kLatest) {
    plan->target_epoch = std::max(plan->last_epoch, plan->snapshot.epoch);
  }
  std::vector<SnapshotSst> ssts;
  CAIRN_RETURN_IF_ERROR(facts.Finish(&ssts, &ids));
  plan->state_object_id = ids["object"];
  plan->sst_count = ssts.size();
  Progress(options, "checking " + std::to_string(ssts.size()) + " SSTs");
  // A self-contained base: copy back what it holds; SSTs written after it must be in
  // the object store (its copies do not have them).
  CAIRN_ASSIGN_OR_RETURN(CopyBackReport copied,
                         RestoreSstCopies(backups, objects, plan->snapshot, ssts, options.dry_run,
                                          {options.copy_threads, options.copy_progress}));
  plan->copied_ssts = copied.missing;
  plan->copied_bytes = copied.bytes;
  uint64_t max_listed = 0;
  if (!options.dry_run || copied.missing == 0) {
    CAIRN_RETURN_IF_ERROR(
        ReferenceOnlyMissing(plan->snapshot, VerifySsts(objects, std::move(ssts), &max_listed)));
  }
  CAIRN_ASSIGN_OR_RETURN(uint64_t max_deleted, ReadMaxDeletedObjectId(objects));
  max_listed = std::max(max_listed, max_deleted);  // vacuumed ids are never issued again
  // Every timeline's snapshots and records count: they share the object store and ids.
  CAIRN_RETURN_IF_ERROR(
      RaiseIdsFromArchive(backups, view.listed, &ids, &plan->archived_records_scanned));
  BumpIdGenerators(view.listed, max_listed, &ids);
  plan->keys = facts.snapshot_keys();
  plan->id_generators = std::move(ids);
  plan->pins = view.listed.snapshots.size();
  return Status::OK();
}

// ---- pass 2: write -------------------------------------------------------------------

// [begin, end) ("" = no upper bound) without the key ranges of the dropped prefixes.
std::vector<std::pair<std::string, std::string>> KeptPieces(const std::string& begin,
                                                            const std::string& end) {
  std::vector<std::pair<std::string, std::string>> dropped;
  dropped.emplace_back(keys::kIdPrefix, PrefixEnd(keys::kIdPrefix));
  for (auto prefix : keys::kExcludedPrefixes) dropped.emplace_back(prefix, PrefixEnd(prefix));
  std::sort(dropped.begin(), dropped.end());
  std::vector<std::pair<std::string, std::string>> pieces;
  std::string from = begin;
  for (const auto& [lo, hi] : dropped) {
    if (!end.empty() && lo >= end) break;
    if (hi <= from) continue;
    if (lo > from) pieces.emplace_back(from, lo);
    from = std::max(from, hi);
  }
  if (end.empty() || from < end) pieces.emplace_back(from, end);
  return pieces;
}

// The replayed records' ops onto the target in record order, in transactions within
// the target's limits. Puts and deletes coalesce (a later op on a key wins, so a
// transaction names each key once); a range delete commits alone, after everything
// before it. Dropped keys (IsDropped) are never written and range deletes are clipped
// around them, so the marker, pins and id generators of the restore head survive.
class ReplayWriter {
 public:
  ReplayWriter(RestoreBatchWriter* batch, MetaStore::TxnLimits limits)
      : batch_(batch), limits_(limits) {}
  // Consumes the record's ops.
  Status Apply(ChangelogRecord* record);
  // After the last record: the changelog seq key as ApplyChangelogRecord leaves it.
  Status Finish(uint64_t last_seq);

 private:
  Status Set(std::string key, std::optional<std::string> value);
  Status DeleteRange(const std::string& begin, const std::string& end);
  Status Flush();

  RestoreBatchWriter* batch_;
  MetaStore::TxnLimits limits_;
  std::map<std::string, std::optional<std::string>> pending_;  // nullopt = delete
  size_t bytes_ = 0;
};

Status ReplayWriter::Apply(ChangelogRecord* record) {
  for (Op& op : record->ops) {
    if (op.kind == Op::Kind::kDeleteRange) {
      CAIRN_RETURN_IF_ERROR(DeleteRange(op.key, op.end));
    } else if (!IsDropped(op.key)) {
      std::optional<std::string> value;
      if (op.kind == Op::Kind::kPut) value = std::move(op.value);
      CAIRN_RETURN_IF_ERROR(Set(std::move(op.key), std::move(value)));
    }
  }
  return Status::OK();
}

Status ReplayWriter::Finish(uint64_t last_seq) {
  CAIRN_RETURN_IF_ERROR(Set(std::string(keys::kChangelogSeq), std::to_string(last_seq)));
  return Flush();
}

Status ReplayWriter::Set(std::string key, std::optional<std::string> value) {
  size_t size = key.size() + (value ? value->size() : 0);
  auto [it, inserted] = pending_.try_emplace(std::move(key));
  if (!inserted) bytes_ -= it->first.size() + (it->second ? it->second->size() : 0);
  it->second = std::move(value);
  bytes_ += size;
  if (pending_.size() >= limits_.max_ops || bytes_ >= limits_.max_bytes) return Flush();
  return Status::OK();
}

Status ReplayWriter::DeleteRange(const std::string& begin, const std::string& end) {
  if (!end.empty() && end <= begin) return Status::OK();  // an empty range
  CAIRN_RETURN_IF_ERROR(Flush());
  for (auto& [from, to] : KeptPieces(begin, end)) {
    CAIRN_RETURN_IF_ERROR(batch_->DeleteRange(std::move(from), std::move(to)));
  }
  return Status::OK();
}

Status ReplayWriter::Flush() {
  while (!pending_.empty()) {
    auto node = pending_.extract(pending_.begin());
    CAIRN_RETURN_IF_ERROR(node.mapped()
                              ? batch_->Put(std::move(node.key()), std::move(*node.mapped()))
                              : batch_->Delete(std::move(node.key())));
  }
  bytes_ = 0;
  return batch_->Flush();
}

// Pass 2 of the records: exactly those pass 1 replayed, read again segment by segment.
Status WriteReplay(BackupStorage* backups, const ArchiveView& view, const PointInTimePlan& plan,
                   const PointInTimeOptions& options, MetaStore::TxnLimits limits,
                   RestoreBatchWriter* batch) {
  if (plan.replayed_records == 0) return Status::OK();
  uint64_t next = plan.snapshot.changelog_seq + 1;
  size_t first = FirstSegment(view.segments, next), end = first;
  while (end < view.segments.size() && view.segments[end].first_seq <= plan.last_seq) ++end;
  SegmentStream stream(backups->store(), view.segments, first, end, options.read_ahead);
  ReplayWriter writer(batch, limits);
  uint64_t applied = 0;
  while (!stream.done()) {
    CAIRN_ASSIGN_OR_RETURN(std::vector<ChangelogRecord> records, stream.Next());
    for (auto& record : records) {
      if (record.seq < next || record.seq > plan.last_seq) continue;
      CAIRN_RETURN_IF_ERROR(writer.Apply(&record));
      next = record.seq + 1;
      ++applied;
    }
    Progress(options, "wrote through seq " + std::to_string(next - 1));
  }
  if (applied != plan.replayed_records) {
    return Status::Corruption(
        "the archived changelog changed during the restore: " + std::to_string(applied) +
        " records to write, " + std::to_string(plan.replayed_records) + " verified");
  }
  return writer.Finish(plan.last_seq);
}

// Pass 2 (the `fill` of WriteRestoreTarget): the snapshot, then the replayed records.
Status WriteState(BackupStorage* backups, const ArchiveView& view, const PointInTimePlan& plan,
                  const PointInTimeOptions& options, MetaStore::TxnLimits limits,
                  RestoreBatchWriter* batch) {
  CAIRN_RETURN_IF_ERROR(
      StreamSnapshot(backups, plan.snapshot, [&](std::string_view key, std::string_view value) {
        if (IsDropped(key)) return Status::OK();
        return batch->Put(std::string(key), std::string(value));
      }));
  CAIRN_RETURN_IF_ERROR(batch->Flush());
  return WriteReplay(backups, view, plan, options, limits, batch);
}

// What WriteRestoreTarget writes besides the data; the timeline the restore starts
// branches off at the restored state (restore_target.h).
Result<RestoreHead> MakeHead(BackupStorage* backups, const ArchiveView& view,
                             const PointInTimePlan& plan, const PointInTimeOptions& options,
                             Clock* clock) {
  RestoreHead head;
  head.what = "epoch " + std::to_string(plan.target_epoch) + " (snapshot " +
              std::to_string(plan.snapshot.id) + " + " + std::to_string(plan.replayed_records) +
              " changelog records) of " + backups->store()->DescribeForLog();
  head.cluster_id = plan.snapshot.cluster_id;
  head.ids = plan.id_generators;
  head.manifest = &view.listed;  // a pin for every backup of the storage, any timeline
  head.clock = clock;
  head.backups = backups;
  head.clone = options.clone;
  CAIRN_ASSIGN_OR_RETURN(head.timeline,
                         PlanTimeline(backups, view.timeline, plan.last_seq, plan.target_epoch,
                                      EpochToMillis(plan.target_epoch), head.what,
                                      plan.snapshot.cluster_id, clock->NowMillis()));
  CAIRN_ASSIGN_OR_RETURN(head.storage_id, PlanStorageId(backups, clock->NowMillis()));
  return head;
}

}  // namespace

Result<PointInTimePlan> RestoreToPoint(BackupStorage* backups, ObjectStore* objects,
                                       MetaStore* target, const PointInTimeOptions& options) {
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  CAIRN_ASSIGN_OR_RETURN(uint64_t target_epoch, TargetEpoch(options));
  Progress(options, "reading manifest and listing archived changelog");
  CAIRN_ASSIGN_OR_RETURN(ArchiveView view, LoadArchiveView(backups, options.timeline));
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
  CAIRN_RETURN_IF_ERROR(PlanRestore(backups, objects, view, options, &plan));
  CAIRN_ASSIGN_OR_RETURN(RestoreHead head, MakeHead(backups, view, plan, options, clock));
  plan.timeline = head.timeline.timeline;
  if (options.dry_run) return plan;

  Progress(options, "writing " + std::to_string(plan.keys) + " keys and " +
                        std::to_string(plan.replayed_records) + " changelog records");
  CAIRN_RETURN_IF_ERROR(
      WriteRestoreTarget(target, objects, target_state, head, [&](RestoreBatchWriter* batch) {
        return WriteState(backups, view, plan, options, target->BulkTxnLimits(), batch);
      }));
  plan.written = true;
  return plan;
}

}  // namespace cairn
