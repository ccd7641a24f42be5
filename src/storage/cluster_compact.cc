// Compaction (docs/storage.md, "Levels", "Picking" and "Concurrent compactions"):
// leveled, with MVCC garbage collection; CompactionPicker chooses the inputs,
// CompactionReservations keeps concurrent ones disjoint, this runs and commits them.
#include <algorithm>
#include <thread>

#include "sst/internal_key.h"
#include "storage/cluster_impl.h"
#include "storage/compaction_picker.h"
#include "storage/gc_iterator.h"
#include "storage/merging_iterator.h"
#include "storage/sst_output.h"

namespace cairn {

CompactionPicker ClusterImpl::Picker() const {
  return CompactionPicker(sizing_, options_.target_sst_bytes,
                          CommitBudget(meta_->store()->BulkTxnLimits()));
}

Status ClusterImpl::Compact() {
  std::lock_guard full(full_compaction_mu_);
  {
    std::unique_lock lock(reservations_mu_);
    full_compaction_ = true;  // no background compaction starts from here on
    compactions_idle_cv_.wait(lock, [&] { return reservations_.running() == 0; });
  }
  std::set<uint64_t> rewritten;
  Status s;
  for (bool did_work = true; s.ok() && did_work;) s = CompactOnce(&rewritten, &did_work);
  {
    std::lock_guard lock(reservations_mu_);
    full_compaction_ = false;
  }
  RequestCompaction();  // the background compactions resume
  return s;
}

Status ClusterImpl::CompactPending() {
  for (;;) {
    bool did_work = false;
    CAIRN_RETURN_IF_ERROR(CompactOnce(/*rewritten=*/nullptr, &did_work));
    if (!did_work) return Status::OK();
  }
}

void ClusterImpl::RequestCompaction() {
  {
    std::lock_guard lock(mu_);
    compaction_requested_ = true;
  }
  compaction_cv_.notify_all();
}

Status ClusterImpl::CompactOnce(std::set<uint64_t>* rewritten, bool* did_work) {
  *did_work = false;
  std::shared_ptr<const Version> version;
  Catalog catalog;
  uint64_t committed = 0;
  std::optional<Compaction> picked;
  CompactionReservations::Token token = 0;
  {
    // Compactions are released after their commit installed the version, so the one
    // taken here has every released compaction's result: nothing picked is gone.
    std::lock_guard reserve(reservations_mu_);
    if (!rewritten && full_compaction_) return Status::OK();
    {
      std::lock_guard lock(mu_);
      version = version_;
      catalog = catalog_;
      committed = committed_epoch_;
    }
    CompactionPicker picker = Picker();
    CAIRN_ASSIGN_OR_RETURN(picked, rewritten ? picker.PickFull(*version, *rewritten)
                                             : picker.PickAuto(*version, &reservations_));
    if (!picked) return Status::OK();
    token = reservations_.Reserve(*picked);
  }
  if (!rewritten) RequestCompaction();  // another thread may find a disjoint one
  Status s = RunPicked(*picked, version, catalog, committed, rewritten);
  {
    std::lock_guard reserve(reservations_mu_);
    reservations_.Release(token);  // on failure too: its inputs are free again
  }
  compactions_idle_cv_.notify_all();
  if (!rewritten) RequestCompaction();  // what this one blocked may start now
  CAIRN_RETURN_IF_ERROR(s);
  *did_work = true;
  return Status::OK();
}

Status ClusterImpl::RunPicked(const Compaction& c, const std::shared_ptr<const Version>& version,
                              const Catalog& catalog, uint64_t committed,
                              std::set<uint64_t>* rewritten) {
  VersionEdit edit;
  if (c.trivial_move) {
    edit = TrivialMove(c);
  } else {
    CAIRN_ASSIGN_OR_RETURN(edit, RunCompaction(c, version, catalog, committed));
  }
  CAIRN_RETURN_IF_ERROR(CommitEdit(edit, 0));
  // A moved SST is not rewritten: a full compaction's bottom pass still rewrites it.
  if (rewritten) {
    for (const SstMeta& f : edit.added) rewritten->insert(f.object_id);
  }
  std::lock_guard lock(mu_);
  stats_.compactions++;
  if (c.trivial_move) stats_.trivial_moves++;
  return Status::OK();
}

VersionEdit ClusterImpl::TrivialMove(const Compaction& c) {
  VersionEdit edit;
  for (const SstRef& f : c.inputs) {
    edit.moved.push_back(*f);
    edit.moved.back().level = c.output_level;
  }
  return edit;
}

Result<VersionEdit> ClusterImpl::RunCompaction(const Compaction& c,
                                               const std::shared_ptr<const Version>& version,
                                               const Catalog& catalog, uint64_t committed) {
  std::vector<std::unique_ptr<sst::Iterator>> children;
  for (const SstRef& f : c.inputs) {
    CAIRN_ASSIGN_OR_RETURN(auto reader, Reader(*f));
    // Inputs are read once: keep the block cache for reads.
    children.push_back(reader->NewIterator(/*fill_cache=*/false));
  }
  GcOptions gc;
  gc.watermark = WatermarkEpoch();
  // Every SST of the output level overlapping the inputs is an input, so a key has
  // older versions only if some deeper level holds it.
  gc.older_may_exist = [version, level = c.output_level](std::string_view user_part) {
    return version->MayHaveBelow(level, user_part);
  };
  // A dropped table's data is garbage once no permitted read can see the table: reads
  // are at or above the watermark, or at the committed epoch.
  gc.table_gone = [&catalog, gone = std::min(gc.watermark, committed)](uint32_t id) {
    return catalog.DroppedBy(id, gone);
  };
  auto input = NewGcIterator(NewMergingIterator(std::move(children)), gc);
  input->SeekToFirst();

  std::vector<uint64_t> allocated;
  SstOutputOptions out = NewSstOutput(c.output_level, &allocated);
  // Throttle: give foreground threads the CPU between output files.
  out.between_files = [] { std::this_thread::yield(); };
  auto outputs = WriteSsts(input.get(), out);
  if (!outputs.ok()) {
    std::lock_guard lock(mu_);
    for (uint64_t id : allocated) in_flight_.erase(id);
    return outputs.status();
  }
  VersionEdit edit;
  edit.added = std::move(outputs).value();
  for (const SstRef& f : c.inputs) edit.removed.push_back(f->object_id);
  return edit;
}

}  // namespace cairn
