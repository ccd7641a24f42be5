#include "backup/clone_detach.h"

#include <set>

#include "backup/clone_registry.h"
#include "meta/keys.h"
#include "storage/meta_loader.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

// Copies object `key` from `from` into `to`, or accepts a copy of the same size already
// there; returns the bytes written (0 for an existing copy).
Result<uint64_t> CopyObject(ObjectStore* from, ObjectStore* to, const std::string& key) {
  CAIRN_ASSIGN_OR_RETURN(ObjectMeta source, from->Head(key));
  uint64_t written = 0;
  auto existing = to->Head(key);
  if (!existing.ok()) {
    if (!existing.status().IsNotFound()) return existing.status();
    CAIRN_ASSIGN_OR_RETURN(std::string bytes, from->Get(key));
    Status put = to->PutIfAbsent(key, bytes);
    if (!put.ok() && put.code() != ErrorCode::kAlreadyExists) return put;
    written = bytes.size();
  }
  CAIRN_ASSIGN_OR_RETURN(ObjectMeta copy, to->Head(key));
  if (copy.size != source.size) {
    return Status::Corruption("copy of " + key + " in " + to->DescribeForLog() + " is " +
                              std::to_string(copy.size) + " bytes, the original in " +
                              from->DescribeForLog() + " " + std::to_string(source.size));
  }
  return written;
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenClusterObjects(MetaStore* meta,
                                                        std::unique_ptr<ObjectStore> own,
                                                        const std::string& backup_storage,
                                                        CloneObjectStore** layer) {
  *layer = nullptr;
  CAIRN_ASSIGN_OR_RETURN(auto base, LoadCloneBase(meta));
  if (!base || base->detached) return own;
  std::vector<CloneObjectStore::Layer> layers;
  for (const auto& l : base->layers) {
    if (!backup_storage.empty() && l.backup_storage == backup_storage) {
      return Status::FailedPrecondition(
          "this meta store is clone " + base->clone_id + " of " + l.cluster_id +
          ", whose backup storage is " + backup_storage +
          ": a clone archives and backs up into a backup storage of its own (--backup-storage)");
    }
    auto store = OpenObjectStore(l.object_store);
    if (!store.ok()) return store.status().WithContext("cannot open the clone's base object store");
    layers.push_back({std::move(store).value(), l.max_object_id});
  }
  auto clone = std::make_unique<CloneObjectStore>(std::move(own), std::move(layers));
  *layer = clone.get();
  return std::unique_ptr<ObjectStore>(std::move(clone));
}

Result<DetachReport> DetachClone(MetaWriter* writer, CloneObjectStore* layer, Clock* clock,
                                 const std::function<void(const DetachProgress&)>& progress) {
  CAIRN_ASSIGN_OR_RETURN(auto base, LoadCloneBase(writer->store()));
  if (!base) return Status::FailedPrecondition("this cluster is not a clone");
  if (base->detached || layer == nullptr) {
    return Status::FailedPrecondition("clone " + base->clone_id + " is detached already");
  }
  // External references only shrink (every new SST gets an own id): one read suffices.
  CAIRN_ASSIGN_OR_RETURN(StorageState state, LoadStorageState(writer->store()));
  std::set<uint64_t> external;
  for (const auto& sst : state.ssts) {
    if (layer->IsExternal(sst->object_id)) external.insert(sst->object_id);
  }
  for (const auto& [id, epoch] : state.stale) {
    if (layer->IsExternal(id)) external.insert(id);
  }
  DetachProgress p;
  p.total = external.size();
  p.line = "copying " + std::to_string(p.total) + " SSTs into " + layer->own()->DescribeForLog();
  if (progress) progress(p);
  for (uint64_t id : external) {
    std::string key = SstObjectKey(id);
    auto bytes = CopyObject(layer->LayerOf(id), layer->own(), key);
    if (!bytes.ok()) return bytes.status().WithContext("clone detach: copying " + key);
    p.copied++;
    p.bytes += *bytes;
    p.line = "copied " + key;
    if (progress && (p.copied % 64 == 0 || p.copied == p.total)) progress(p);
  }
  base->detached = true;
  base->detached_ms = clock->NowMillis();
  Txn txn;
  txn.ops.push_back(Op::Put(std::string(keys::kCloneBase), EncodeCloneBase(*base)));
  CAIRN_RETURN_IF_ERROR(writer->Commit(std::move(txn)).status());
  layer->Detach();
  DetachReport report{base->clone_id, p.copied, p.bytes, 0};
  for (const auto& l : base->layers) {
    auto store = OpenObjectStore(l.backup_storage);
    Status s = store.ok() ? UnregisterClone(store->get(), base->clone_id) : store.status();
    if (s.ok()) report.registrations_removed++;
    p.line = s.ok() ? "removed the registration in " + l.backup_storage
                    : "could not remove the registration in " + l.backup_storage + ": " +
                          s.ToString() + " (remove it with cairn clone drop)";
    if (progress) progress(p);
  }
  return report;
}

}  // namespace cairn
