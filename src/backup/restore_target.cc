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

Status PutIdsAndPins(const RestoreHead& head, RestoreBatchWriter* batch) {
  for (const auto& [name, value] : head.ids) {
    CAIRN_RETURN_IF_ERROR(batch->Put(keys::IdKey(name), std::to_string(value)));
  }
  for (const auto& s : head.manifest->snapshots) {
    CAIRN_RETURN_IF_ERROR(batch->Put(PinKey(s.id), EncodePin({s.id, s.epoch, s.max_object_id})));
  }
  return batch->Flush();
}

// Identity, fence, then the marker goes: the restore is complete only after all three.
Status Seal(MetaStore* target, ObjectStore* objects, const RestoreHead& head) {
  ClusterIdentity identity;
  identity.cluster_id = head.cluster_id;
  identity.created_ms = head.clock->NowMillis();
  identity.meta_store = target->DescribeForLog();
  identity.created_by = "restore of " + head.what;
  CAIRN_RETURN_IF_ERROR(WriteClusterIdentity(objects, identity));
  CAIRN_RETURN_IF_ERROR(FenceWriterLease(objects, "restore of " + head.what));
  return target->Commit({{}, {DeleteRestoreMarker()}}).status();
}

Status Write(MetaStore* target, ObjectStore* objects, const RestoreHead& head,
             const std::function<Status(RestoreBatchWriter*)>& fill) {
  RestoreBatchWriter batch(target);
  CAIRN_RETURN_IF_ERROR(batch.Put(std::string(keys::kRestoreMarker), head.what));
  CAIRN_RETURN_IF_ERROR(PutIdsAndPins(head, &batch));
  CAIRN_RETURN_IF_ERROR(fill(&batch));
  CAIRN_RETURN_IF_ERROR(batch.Flush());
  return Seal(target, objects, head);
}

}  // namespace

Status RestoreBatchWriter::Put(std::string key, std::string value) {
  bytes_ += key.size() + value.size();
  txn_.ops.push_back(Op::Put(std::move(key), std::move(value)));
  MetaStore::TxnLimits limits = target_->BulkTxnLimits();
  if (txn_.ops.size() >= limits.max_ops || bytes_ >= limits.max_bytes) return Flush();
  return Status::OK();
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

void MaxIdsIn(const ChangelogRecord& record, std::map<std::string, uint64_t>* ids) {
  for (const Op& op : record.ops) {
    if (op.kind != Op::Kind::kPut || !op.key.starts_with(keys::kIdPrefix)) continue;
    uint64_t v = 0;
    std::from_chars(op.value.data(), op.value.data() + op.value.size(), v);
    auto& slot = (*ids)[op.key.substr(keys::kIdPrefix.size())];
    slot = std::max(slot, v);
  }
}

Status WriteRestoreTarget(MetaStore* target, ObjectStore* objects, const RestoreTargetState& state,
                          const RestoreHead& head,
                          const std::function<Status(RestoreBatchWriter*)>& fill) {
  // Clearing first (and alone: etcd refuses a txn whose range delete overlaps a put) is
  // safe: an empty meta store over an object store with an identity is refused too.
  if (!state.empty) {
    Status cleared = ClearAll(target);
    if (!cleared.ok()) return cleared.WithContext("restore: cannot clear the target");
  }
  Status status = Write(target, objects, head, fill);
  if (status.ok()) return Status::OK();
  Status cleanup = ClearAll(target);
  if (cleanup.ok()) return status.WithContext("restore failed, target meta store left empty");
  return Status(status.code(), "restore failed: " + status.message() +
                                   "; clearing the target failed too (" + cleanup.ToString() +
                                   "): " + target->DescribeForLog() +
                                   " is marked as an unfinished restore, which a server "
                                   "refuses; rerun cairn restore");
}

}  // namespace cairn
