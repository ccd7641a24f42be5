// Vacuum: deletes stale SSTs (and, with `full`, unreferenced objects under data/),
// every deletion decided by the DeletionGate.
#include <set>

#include "meta/keys.h"
#include "storage/cluster_impl.h"
#include "storage/deletion_gate.h"

namespace cairn {

Result<VacuumReport> ClusterImpl::Vacuum(const VacuumOptions& options) {
  std::lock_guard vacuum(vacuum_mu_);
  VacuumReport report;
  DeletionGate gate(meta_->store(), DeletionGateOptions{clock_, options_.pitr_retention_ms,
                                                        options_.vacuum_min_age_ms});

  // 1. Stale objects: they left the version at a known epoch.
  if (options_.vacuum_hook) options_.vacuum_hook(VacuumStep::kTakingCandidates);
  std::map<uint64_t, uint64_t> stale;
  std::set<uint64_t> in_use;  // by the current version or a reader's older one
  {
    std::lock_guard lock(mu_);
    stale = stale_;
    in_use = ObjectsInUseLocked();
  }
  // Pins are read AFTER the candidates: a backup that pinned and cut before one of them
  // became stale is then always seen (pins read first could miss it, and its SST go).
  CAIRN_RETURN_IF_ERROR(gate.Refresh());
  std::vector<uint64_t> forget;  // stale keys whose object is gone
  for (const auto& [id, stale_epoch] : stale) {
    report.stale_candidates++;
    // A reader of an older version may still need it; and a stale entry for an SST
    // that is back in the version (e.g. after a restore) must not delete it.
    if (in_use.count(id)) {
      report.kept_by_gate++;
      continue;
    }
    std::string key = SstObjectKey(id);
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
    if (options.dry_run) continue;
    CAIRN_RETURN_IF_ERROR(meta_->CheckFence());  // a fenced writer deletes nothing
    CAIRN_RETURN_IF_ERROR(objects_->Delete(key));
    forget.push_back(id);
  }
  if (!options.dry_run && !forget.empty()) {
    Txn txn;
    for (uint64_t id : forget) txn.ops.push_back(Op::Delete(keys::StaleKey(id)));
    std::lock_guard version_lock(version_mu_);
    // Stamped by the MetaWriter (epoch of now, bounded by pending writes' epochs).
    CAIRN_RETURN_IF_ERROR(meta_->Commit(std::move(txn)).status());
    std::lock_guard lock(mu_);
    for (uint64_t id : forget) stale_.erase(id);
  }

  // 2. Full: objects referenced by neither the version, the stale list nor an upload in
  // flight. The references are read after the listing, so an object committed while
  // listing counts as referenced.
  if (options.full) {
    std::vector<ObjectMeta> listed;
    CAIRN_RETURN_IF_ERROR(ListAll(*objects_, kSstObjectPrefix, [&](const ObjectMeta& m) {
      listed.push_back(m);
      return Status::OK();
    }));
    std::set<uint64_t> referenced;
    {
      std::lock_guard lock(mu_);
      referenced = ObjectsInUseLocked();
      for (const auto& [id, e] : stale_) referenced.insert(id);
      referenced.insert(in_flight_.begin(), in_flight_.end());
    }
    for (const auto& m : listed) {
      uint64_t id = 0;
      if (!ParseSstObjectKey(m.key, &id)) continue;  // not ours: never touch it
      if (referenced.count(id)) continue;
      report.orphans++;
      std::string reason;
      if (!gate.MayDelete(DeletionCandidate{id, m.key, std::nullopt, m.mtime_ms}, &reason)) {
        report.kept_by_gate++;
        continue;
      }
      report.deleted++;
      report.deleted_bytes += m.size;
      if (!options.dry_run) CAIRN_RETURN_IF_ERROR(meta_->CheckFence());
      if (!options.dry_run) CAIRN_RETURN_IF_ERROR(objects_->Delete(m.key));
    }
  }
  if (!options.dry_run) {
    std::lock_guard lock(mu_);
    stats_.vacuum_deleted += report.deleted;
  }
  return report;
}

}  // namespace cairn
