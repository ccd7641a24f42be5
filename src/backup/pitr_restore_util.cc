#include "backup/pitr_restore_util.h"

#include <algorithm>

#include "meta/backup_pins.h"
#include "meta/keys.h"

namespace cairn {
namespace {

Status ClearAll(MetaStore* target) {
  return target->Commit({{}, {Op::DeleteRange(std::string(1, '\0'), "")}}).status();
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

Result<bool> CheckRestoreTarget(MetaStore* target, bool overwrite) {
  CAIRN_ASSIGN_OR_RETURN(auto first_keys, target->Range("", "", 1));
  if (!first_keys.empty() && !overwrite) {
    return Status::AlreadyExists("target meta store " + target->DescribeForLog() +
                                 " is not empty (it holds '" + first_keys[0].key +
                                 "'); restore needs an empty meta store, or --overwrite");
  }
  return first_keys.empty();
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

Status WriteRestoreTarget(MetaStore* target, bool target_was_empty,
                          const std::function<Status(RestoreBatchWriter*)>& fill) {
  Status status = target_was_empty ? Status::OK() : ClearAll(target);
  RestoreBatchWriter batch(target);
  if (status.ok()) status = fill(&batch);
  if (status.ok()) status = batch.Flush();
  if (!status.ok()) {
    // Leave the target empty rather than half restored.
    (void)ClearAll(target);
    return status.WithContext("restore failed, target meta store left empty");
  }
  return Status::OK();
}

Status PutIdsAndPins(const Manifest& manifest, const std::map<std::string, uint64_t>& ids,
                     RestoreBatchWriter* batch) {
  for (const auto& [name, value] : ids) {
    CAIRN_RETURN_IF_ERROR(batch->Put(keys::IdKey(name), std::to_string(value)));
  }
  for (const auto& s : manifest.snapshots) {
    CAIRN_RETURN_IF_ERROR(batch->Put(PinKey(s.id), EncodePin({s.id, s.epoch, s.max_object_id})));
  }
  return Status::OK();
}

}  // namespace cairn
