// Vacuum: deletes stale SSTs (and, with `full`, unreferenced objects under data/),
// every deletion decided by the DeletionGate.
#include <algorithm>
#include <set>

#include "meta/deleted_ids.h"
#include "meta/keys.h"
#include "storage/cluster_impl.h"
#include "storage/deletion_gate.h"
#include "storage/meta_loader.h"

namespace cairn {

Result<VacuumReport> ClusterImpl::Vacuum(const VacuumOptions& options) {
  std::lock_guard vacuum(vacuum_mu_);
  VacuumReport report;
  DeletionGate gate(meta_->store(),
                    DeletionGateOptions{clock_, pitr_retention_ms_.load(),
                                        vacuum_min_age_ms_.load(), options_.external_pins});
  auto external = [this](uint64_t id) {
    return options_.is_external_object && options_.is_external_object(id);
  };

  // 1. Stale objects: they left the version at a known epoch.
  if (options_.vacuum_hook) options_.vacuum_hook(VacuumStep::kTakingCandidates);
  std::map<uint64_t, uint64_t> stale;
  // The current version and readers' older ones: held (not copied into a set of ids)
  std::vector<std::shared_ptr<const Version>> in_use;
  {
    std::lock_guard lock(mu_);
    stale = stale_;
    in_use = VersionsInUseLocked();
  }
  // Pins are read AFTER the candidates: a backup that pinned and cut before one of them
  // became stale is then always seen (pins read first could miss it, and its SST go).
  CAIRN_RETURN_IF_ERROR(gate.Refresh());
  std::vector<uint64_t> forget;  // stale keys whose object is gone
  std::vector<uint64_t> doomed;  // objects the gate lets go
  for (const auto& [id, stale_epoch] : stale) {
    report.stale_candidates++;
    // A reader of an older version may still need it; and a stale entry for an SST
    // that is back in the version (e.g. after a restore) must not delete it.
    if (InAny(in_use, id)) {
      report.kept_by_gate++;
      continue;
    }
    std::string key = SstObjectKey(id);
    if (external(id)) {  // a clone's base object: forget it once the gate agrees
      std::string reason;
      if (!gate.MayDelete(DeletionCandidate{id, key, stale_epoch, 0}, &reason)) {
        report.kept_by_gate++;
        continue;
      }
      report.external_released++;
      forget.push_back(id);
      continue;
    }
    auto head = objects_->Head(key);
    if (!head.ok()) {
      if (!head.status().IsNotFound()) return head.status();
      forget.push_back(id);  // deleted earlier, but its stale key was not removed
      continue;
    }
    std::string reason;
    if (!gate.MayDelete(DeletionCandidate{id, key, stale_epoch, head->mtime_ms}, &reason)) {
      report.kept_by_gate++;
      continue;
    }
    report.deleted++;
    report.deleted_bytes += head->size;
    doomed.push_back(id);
  }
  if (!options.dry_run) {
    // In chunks that fit one meta-store commit (etcd: 128 ops): each chunk's objects go
    // first, then its stale keys. A failure between the two leaves stale keys of objects
    // that are gone, which the next vacuum forgets (above); the other order would leave
    // objects that nothing names but a full vacuum.
    const size_t chunk = meta_->CallerTxnLimits().max_ops;
    auto forget_stale = [&](const std::vector<uint64_t>& ids) -> Status {
      Txn txn;
      for (uint64_t id : ids) txn.ops.push_back(Op::Delete(keys::StaleKey(id)));
      std::lock_guard version_lock(version_mu_);
      // Stamped by the MetaWriter (epoch of now, bounded by pending writes' epochs).
      CAIRN_RETURN_IF_ERROR(meta_->Commit(std::move(txn)).status());
      std::lock_guard lock(mu_);
      for (uint64_t id : ids) stale_.erase(id);
      return Status::OK();
    };
    for (size_t i = 0; i < doomed.size(); i += chunk) {
      std::vector<uint64_t> ids(doomed.begin() + i,
                                doomed.begin() + std::min(doomed.size(), i + chunk));
      CAIRN_RETURN_IF_ERROR(DeleteObjects(ids));
      CAIRN_RETURN_IF_ERROR(forget_stale(ids));
    }
    for (size_t i = 0; i < forget.size(); i += chunk) {
      CAIRN_RETURN_IF_ERROR(forget_stale(std::vector<uint64_t>(
          forget.begin() + i, forget.begin() + std::min(forget.size(), i + chunk))));
    }
  }

  // 2. Full: objects referenced by neither the version, the stale list nor an upload in
  // flight. The references are read after the listing, so an object committed while
  // listing counts as referenced.
  if (options.full) {
    // 24 bytes per listed SST, not a whole ObjectMeta (its key string): at a million
    // objects the listing is most of full vacuum's memory. Keys that do not name an SST
    // are not ours: never touched.
    struct Listed {
      uint64_t id;
      uint64_t size;
      int64_t mtime_ms;
    };
    std::vector<Listed> listed;
    CAIRN_RETURN_IF_ERROR(ListAll(*objects_, kSstObjectPrefix, [&](const ObjectMeta& m) {
      uint64_t id = 0;
      if (ParseSstObjectKey(m.key, &id)) listed.push_back(Listed{id, m.size, m.mtime_ms});
      return Status::OK();
    }));
    CAIRN_ASSIGN_OR_RETURN(References referenced, FullVacuumReferences());
    std::vector<uint64_t> orphans;
    for (const Listed& m : listed) {
      uint64_t id = m.id;
      if (external(id)) continue;  // the base's: never touch it
      if (referenced.Contains(id)) continue;
      report.orphans++;
      std::string reason;
      if (!gate.MayDelete(DeletionCandidate{id, SstObjectKey(id), std::nullopt, m.mtime_ms},
                          &reason)) {
        report.kept_by_gate++;
        continue;
      }
      report.deleted++;
      report.deleted_bytes += m.size;
      orphans.push_back(id);
    }
    if (!options.dry_run) CAIRN_RETURN_IF_ERROR(DeleteObjects(orphans));
  }
  if (!options.dry_run) {
    std::lock_guard lock(mu_);
    stats_.vacuum_deleted += report.deleted;
  }
  return report;
}

// A fenced writer deletes nothing. The deleted-ids mark goes first: a restore must never
// issue one of these ids again, and after the deletes nothing else remembers them.
Status ClusterImpl::DeleteObjects(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return Status::OK();
  CAIRN_RETURN_IF_ERROR(meta_->CheckFence());
  CAIRN_RETURN_IF_ERROR(
      RaiseMaxDeletedObjectId(objects_, *std::max_element(ids.begin(), ids.end())));
  tables_.Erase(ids);  // a reader opened by a raced read must not outlive its object
  for (uint64_t id : ids) {
    CAIRN_RETURN_IF_ERROR(meta_->CheckFence());
    CAIRN_RETURN_IF_ERROR(objects_->Delete(SstObjectKey(id)));
  }
  return Status::OK();
}

// What full vacuum keeps, read after its listing: the meta store's version and stale
// list (memory can lag them: a commit that applied but lost its ack, whose reload failed
// too), plus memory's readers and uploads in flight, which only memory knows. The
// stored state is read as ids from the keys: no second copy of the version in memory.
Result<ClusterImpl::References> ClusterImpl::FullVacuumReferences() {
  References refs;
  CAIRN_ASSIGN_OR_RETURN(refs.ids, LoadReferencedIds(meta_->store()));
  {
    std::lock_guard lock(mu_);
    refs.versions = VersionsInUseLocked();
    for (const auto& [id, e] : stale_) refs.ids.push_back(id);
    refs.ids.insert(refs.ids.end(), in_flight_.begin(), in_flight_.end());
  }
  std::sort(refs.ids.begin(), refs.ids.end());
  return refs;
}

bool ClusterImpl::References::Contains(uint64_t id) const {
  return std::binary_search(ids.begin(), ids.end(), id) || InAny(versions, id);
}

}  // namespace cairn
