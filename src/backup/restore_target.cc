#include "backup/restore_target.h"

#include <algorithm>
#include <charconv>

#include "meta/backup_pins.h"
#include "meta/cluster_identity.h"
#include "meta/keys.h"
#include "meta/restore_marker.h"
#include "meta/writer_lease.h"

namespace cairn {
namespace {

Status ClearAll(MetaStore* target) {
  return target->Commit({{}, {Op::DeleteRange(std::string(1, '\0'), "")}}).status();
}

// A target being replaced keeps, through a failure at any step, the marker and its id
// generators (the witness of what its cluster issued): a rerun then raises ids from them.
Status MarkTarget(MetaStore* target, const RestoreHead& head) {
  Txn txn;
  txn.ops.push_back(PutRestoreMarker(head.what));
  for (const auto& [name, next] : head.ids) {
    txn.ops.push_back(Op::Put(keys::IdKey(name), std::to_string(next)));
  }
  return target->Commit(txn).status();
}

Status ClearAllButMarkAndIds(MetaStore* target) {
  std::string ids(keys::kIdPrefix), restore(keys::kRestorePrefix);
  return target
      ->Commit(
          {{},
           {Op::DeleteRange(std::string(1, '\0'), ids), Op::DeleteRange(PrefixEnd(ids), restore),
            Op::DeleteRange(PrefixEnd(restore), "")}})
      .status();
}

Status CheckObjectStoreOwner(ObjectStore* objects, const std::string& cluster_id) {
  CAIRN_ASSIGN_OR_RETURN(auto identity, ReadClusterIdentity(objects));
  if (!identity || identity->cluster_id == cluster_id) return Status::OK();
  return Status::FailedPrecondition(DescribeOwner(objects, *identity) +
                                    ", but the backup is of cluster " + cluster_id +
                                    ": restore it with the object store of its own cluster");
}

Result<RestoreTargetState> CheckTarget(MetaStore* target, const std::string& cluster_id,
                                       bool overwrite) {
  RestoreTargetState state;
  CAIRN_ASSIGN_OR_RETURN(auto first_keys, target->Range("", "", 1));
  state.empty = first_keys.empty();
  if (state.empty) return state;
  CAIRN_ASSIGN_OR_RETURN(auto marker, target->Get(keys::kRestoreMarker));
  state.unfinished = marker.has_value();
  if (state.unfinished) return state;  // a restore that did not finish: replaced
  CAIRN_ASSIGN_OR_RETURN(auto held, target->Get(keys::kClusterId));
  if (held && held->value != cluster_id) {
    return Status::FailedPrecondition(
        "target meta store " + target->DescribeForLog() + " holds cluster " + held->value +
        ", not cluster " + cluster_id + " of the backup: refusing to overwrite another " +
        "cluster's meta store (restore into an empty one)");
  }
  if (!overwrite) {
    return Status::AlreadyExists("target meta store " + target->DescribeForLog() +
                                 " is not empty (it holds '" + first_keys[0].key +
                                 "'); restore needs an empty meta store, or --overwrite");
  }
  return state;
}

// A pin compares its epoch with the restored cluster's stale epochs, which only makes
// sense for a backup on the restored history (the new timeline's ancestry up to its
// branch point). Any other backup's pin gets epoch 0: it keeps every object below its
// max id, whenever it leaves the version (cairn-sim seed 1018, cross-timeline-pins).
Result<bool> OnRestoredHistory(const RestoreHead& head, const SnapshotEntry& s,
                               const TimelineMap& timelines) {
  CAIRN_ASSIGN_OR_RETURN(auto path, TimelinePath(timelines, head.timeline.parent));
  path.front().through_seq = head.timeline.branch_seq;
  for (const auto& step : path) {
    if (step.timeline == s.timeline) return s.changelog_seq <= step.through_seq;
  }
  return false;
}

Status PutIdsAndPins(const RestoreHead& head, RestoreBatchWriter* batch) {
  for (const auto& [name, value] : head.ids) {
    CAIRN_RETURN_IF_ERROR(batch->Put(keys::IdKey(name), std::to_string(value)));
  }
  TimelineMap timelines;
  CAIRN_ASSIGN_OR_RETURN(timelines, LoadTimelines(head.backups->store()));
  for (const auto& s : head.manifest->snapshots) {
    if (!timelines.count(s.timeline)) timelines[s.timeline] = TimelineHistory{s.timeline, 0};
  }
  if (!timelines.count(head.timeline.parent)) {
    timelines[head.timeline.parent] = TimelineHistory{head.timeline.parent, 0};
  }
  int64_t now_ms = head.clock->NowMillis();
  for (const auto& s : head.manifest->snapshots) {
    if (head.clone) break;  // the source's backups pin in the source, not in a clone
    CAIRN_ASSIGN_OR_RETURN(bool on_history, OnRestoredHistory(head, s, timelines));
    BackupPin pin{s.id, on_history ? s.epoch : 0, s.max_object_id, head.storage_id, now_ms};
    CAIRN_RETURN_IF_ERROR(batch->Put(PinKey(s.id), EncodePin(pin)));
  }
  return batch->Flush();
}

// --overwrite: the ids the target itself issued count too (cairn-sim seed 1,
// overwrite-lowers-ids: its ids/object could be above everything backup storage knows).
Status RaiseIdsFromTarget(MetaStore* target, std::map<std::string, uint64_t>* ids) {
  std::string begin(keys::kIdPrefix);
  CAIRN_ASSIGN_OR_RETURN(auto page, target->Range(begin, PrefixEnd(keys::kIdPrefix), 10000));
  for (const auto& kv : page) {
    uint64_t v = 0;
    std::from_chars(kv.value.data(), kv.value.data() + kv.value.size(), v);
    auto& slot = (*ids)[kv.key.substr(keys::kIdPrefix.size())];
    slot = std::max(slot, v);
  }
  return Status::OK();
}

// Identity, timeline history, fence; then one txn sets the timeline and its pin and
// removes the marker: the restore is complete only after all of them.
Status Seal(MetaStore* target, ObjectStore* objects, const RestoreHead& head) {
  ClusterIdentity identity;
  identity.cluster_id = head.cluster_id;
  identity.created_ms = head.clock->NowMillis();
  identity.meta_store = target->DescribeForLog();
  identity.created_by = (head.clone ? "clone of " : "restore of ") + head.what;
  CAIRN_RETURN_IF_ERROR(WriteClusterIdentity(objects, identity));
  if (!head.clone) {  // a clone records nothing in its source's backup storage
    CAIRN_RETURN_IF_ERROR(
        head.backups->EnsureStorageId(head.storage_id, identity.created_ms).status());
    CAIRN_RETURN_IF_ERROR(WriteTimeline(head.backups->store(), head.timeline));
  }
  CAIRN_RETURN_IF_ERROR(FenceWriterLease(objects, "restore of " + head.what));
  const TimelineHistory& t = head.timeline;
  Txn last;
  last.ops.push_back(Op::Put(std::string(keys::kClusterTimeline), std::to_string(t.timeline)));
  last.ops.push_back(Op::Put(std::string(keys::kTimelineHistory), EncodeTimeline(t)));
  last.ops.push_back(Op::Put(std::string(keys::kTimelinePin),
                             EncodeTimelinePin({t.first_object_id, t.created_ms})));
  last.ops.push_back(DeleteRestoreMarker());
  Status sealed = target->Commit(last).status();
  if (sealed.ok()) return sealed;
  // A lost ack: the marker, deleted by that same txn, tells whether it applied.
  auto marker = ReadRestoreMarker(target);
  return marker.ok() && !marker->has_value() ? Status::OK() : sealed;
}

// *check_failed: the failure is head.checked's.
Status Write(MetaStore* target, ObjectStore* objects, RestoreHead head,
             const std::function<Status(RestoreBatchWriter*)>& fill, bool* check_failed) {
  RestoreBatchWriter batch(target);
  CAIRN_RETURN_IF_ERROR(batch.Put(std::string(keys::kRestoreMarker), head.what));
  CAIRN_RETURN_IF_ERROR(fill(&batch));
  CAIRN_RETURN_IF_ERROR(batch.Flush());
  if (head.checked) {
    Status checked = head.checked(&head);
    *check_failed = !checked.ok();
    CAIRN_RETURN_IF_ERROR(checked);
  }
  head.timeline.first_object_id = head.ids["object"];  // every older timeline's id is below
  CAIRN_RETURN_IF_ERROR(PutIdsAndPins(head, &batch));
  if (head.clone) {
    for (const auto& [key, value] : head.clone->keys) CAIRN_RETURN_IF_ERROR(batch.Put(key, value));
    CAIRN_RETURN_IF_ERROR(batch.Flush());
  }
  return Seal(target, objects, head);
}

}  // namespace

// An op that would take the batch past the target's BulkTxnLimits commits the batch
// first; a full batch commits at once.
Status RestoreBatchWriter::Add(Op op) {
  const size_t bytes = op.key.size() + op.value.size();
  const MetaStore::TxnLimits limits = target_->BulkTxnLimits();
  if (bytes_ + bytes > limits.max_bytes) CAIRN_RETURN_IF_ERROR(Flush());
  bytes_ += bytes;
  txn_.ops.push_back(std::move(op));
  if (txn_.ops.size() >= limits.max_ops || bytes_ >= limits.max_bytes) return Flush();
  return Status::OK();
}

Status RestoreBatchWriter::Put(std::string key, std::string value) {
  return Add(Op::Put(std::move(key), std::move(value)));
}

Status RestoreBatchWriter::Delete(std::string key) { return Add(Op::Delete(std::move(key))); }

Status RestoreBatchWriter::DeleteRange(std::string begin, std::string end) {
  CAIRN_RETURN_IF_ERROR(Flush());
  txn_.ops.push_back(Op::DeleteRange(std::move(begin), std::move(end)));
  return Flush();
}

Status RestoreBatchWriter::Flush() {
  if (txn_.ops.empty()) return Status::OK();
  auto committed = target_->Commit(txn_);
  txn_.ops.clear();
  bytes_ = 0;
  if (committed.ok()) ++commits_;
  return committed.status();
}

Result<RestoreTargetState> CheckRestoreSafety(ObjectStore* objects, MetaStore* target,
                                              const std::string& cluster_id,
                                              const RestoreSafetyOptions& options) {
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  if (!options.force) CAIRN_RETURN_IF_ERROR(CheckLeaseFree(objects, clock, ""));
  CAIRN_RETURN_IF_ERROR(CheckObjectStoreOwner(objects, cluster_id));
  return CheckTarget(target, cluster_id, options.overwrite);
}

void BumpIdGenerators(const Manifest& manifest, uint64_t max_listed_object,
                      std::map<std::string, uint64_t>* ids) {
  uint64_t max_backup = 0;
  for (const auto& entry : manifest.snapshots) {
    for (const auto& [name, value] : entry.id_generators) {
      (*ids)[name] = std::max((*ids)[name], value);
    }
    (*ids)["object"] = std::max((*ids)["object"], entry.max_object_id);
    max_backup = std::max(max_backup, entry.id);
  }
  (*ids)["object"] = std::max((*ids)["object"], max_listed_object + 1);
  (*ids)["backup"] = std::max((*ids)["backup"], max_backup + 1);
}

// Ids issued after the newest snapshot (tables, backups, objects since vacuumed) are
// known only to the archived changelog: raise `ids` to every value its later records put.
// Every timeline counts: they share the object store.
Status RaiseIdsFromArchive(BackupStorage* backups, const Manifest& manifest,
                           std::map<std::string, uint64_t>* ids, uint64_t* scanned) {
  std::map<uint32_t, uint64_t> newest_seq;  // timeline -> newest snapshot seq on it
  for (const auto& s : manifest.snapshots) {
    newest_seq[s.timeline] = std::max(newest_seq[s.timeline], s.changelog_seq);
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(backups->store()));
  for (const SegmentInfo& segment : segments) {
    if (segment.last_seq <= newest_seq[segment.timeline]) continue;
    auto records = ReadSegment(backups->store(), segment);
    if (!records.ok()) {
      return records.status().WithContext("reading the archived changelog for id generators");
    }
    for (const auto& record : *records) MaxIdsIn(record, ids);
    *scanned += records->size();
  }
  return Status::OK();
}

void MaxIdsIn(const ChangelogRecord& record, std::map<std::string, uint64_t>* ids) {
  for (const Op& op : record.ops) {
    if (op.kind != Op::Kind::kPut || !op.key.starts_with(keys::kIdPrefix)) continue;
    uint64_t v = 0;
    std::from_chars(op.value.data(), op.value.data() + op.value.size(), v);
    auto& slot = (*ids)[op.key.substr(keys::kIdPrefix.size())];
    slot = std::max(slot, v);
  }
}

Result<TimelineHistory> PlanTimeline(BackupStorage* backups, uint32_t parent, uint64_t seq,
                                     uint64_t epoch, int64_t branch_ms, const std::string& what,
                                     const std::string& cluster_id, int64_t now_ms) {
  CAIRN_ASSIGN_OR_RETURN(TimelineMap timelines, LoadTimelines(backups->store()));
  TimelineHistory t;
  t.timeline = NewestTimeline(timelines) + 1;
  // A timeline named only by segments or snapshots (no history object) still counts.
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, backups->LoadManifestOrEmpty());
  for (const auto& s : manifest.snapshots) t.timeline = std::max(t.timeline, s.timeline + 1);
  CAIRN_ASSIGN_OR_RETURN(auto segments, ListSegments(backups->store()));
  for (const auto& seg : segments) t.timeline = std::max(t.timeline, seg.timeline + 1);
  t.parent = parent;
  t.branch_seq = seq;
  t.branch_epoch = epoch;
  t.branch_ms = branch_ms;
  t.created_ms = now_ms;
  t.restore = what;
  t.cluster_id = cluster_id;
  return t;
}

Result<std::string> PlanStorageId(BackupStorage* backups, int64_t now_ms) {
  CAIRN_ASSIGN_OR_RETURN(std::string id, backups->LoadStorageId());
  return id.empty() ? backups->NewStorageId(now_ms) : id;
}

Status WriteRestoreTarget(MetaStore* target, ObjectStore* objects, const RestoreTargetState& state,
                          RestoreHead head,
                          const std::function<Status(RestoreBatchWriter*)>& fill) {
  // Clearing first (and alone: etcd refuses a txn whose range delete overlaps a put) is
  // safe: an empty meta store over an object store with an identity is refused too.
  if (!state.empty) {
    CAIRN_RETURN_IF_ERROR(RaiseIdsFromTarget(target, &head.ids));
    Status cleared = MarkTarget(target, head);
    if (cleared.ok()) cleared = ClearAllButMarkAndIds(target);
    if (!cleared.ok()) return cleared.WithContext("restore: cannot clear the target");
  }
  if (head.clone) {  // an independent cluster: its own id, its own timeline 1
    head.cluster_id = head.clone->cluster_id;
    head.timeline.timeline = 1;
    head.timeline.parent = 0;
    head.timeline.cluster_id = head.clone->cluster_id;
    head.timeline.restore = "clone of " + head.what;
  }
  bool check_failed = false;
  Status status = Write(target, objects, std::move(head), fill, &check_failed);
  if (status.ok()) return Status::OK();
  if (!state.empty) {
    Status cleanup = ClearAllButMarkAndIds(target);
    return Status(status.code(), "restore failed: " + status.message() + "; " +
                                     target->DescribeForLog() +
                                     " is marked as an unfinished restore" +
                                     (cleanup.ok() ? "" : " (" + cleanup.ToString() + ")") +
                                     ", which a server refuses; rerun cairn restore");
  }
  Status cleanup = ClearAll(target);
  if (cleanup.ok()) cleanup = target->RemoveCreated();
  if (cleanup.ok() && check_failed) return status;  // bad input: as if nothing was written
  if (cleanup.ok()) return status.WithContext("restore failed, target meta store left empty");
  return Status(status.code(), "restore failed: " + status.message() +
                                   "; clearing the target failed too (" + cleanup.ToString() +
                                   "): " + target->DescribeForLog() +
                                   " is marked as an unfinished restore, which a server "
                                   "refuses; rerun cairn restore");
}

}  // namespace cairn
