// Compaction (docs/storage.md, "Compaction"): L0 -> L1 with MVCC garbage collection.
#include <algorithm>
#include <thread>

#include "sst/internal_key.h"
#include "storage/cluster_impl.h"
#include "storage/gc_iterator.h"
#include "storage/merging_iterator.h"
#include "storage/sst_output.h"

namespace cairn {
namespace {

// L0 SSTs that trigger a background compaction into L1.
constexpr size_t kL0CompactionTrigger = 4;

// Background: all of L0 plus the L1 SSTs its key range overlaps. Full: everything.
std::vector<SstRef> PickInputs(const Version& v, bool full) {
  std::vector<SstRef> inputs;
  const auto& l0 = v.level(0);
  if (full) return v.AllFiles();
  if (l0.size() < kL0CompactionTrigger) return inputs;
  inputs = l0;
  std::string_view lo = sst::UserPart(l0.front()->smallest_key);
  std::string_view hi = sst::UserPart(l0.front()->largest_key);
  for (const SstRef& f : l0) {
    lo = std::min(lo, sst::UserPart(f->smallest_key));
    hi = std::max(hi, sst::UserPart(f->largest_key));
  }
  for (const SstRef& f : v.level(1)) {
    if (sst::UserPart(f->largest_key) >= lo && sst::UserPart(f->smallest_key) <= hi) {
      inputs.push_back(f);
    }
  }
  return inputs;
}

}  // namespace

Status ClusterImpl::Compact() {
  bool did_work = false;
  return CompactOnce(/*full=*/true, &did_work);
}

Status ClusterImpl::CompactOnce(bool full, bool* did_work) {
  std::lock_guard compaction(compaction_mu_);
  *did_work = false;
  std::shared_ptr<const Version> version;
  Catalog catalog;
  uint64_t committed = 0;
  {
    std::lock_guard lock(mu_);
    version = version_;
    catalog = catalog_;
    committed = committed_epoch_;
  }
  std::vector<SstRef> inputs = PickInputs(*version, full);
  if (inputs.empty()) return Status::OK();

  std::vector<std::unique_ptr<sst::Iterator>> children;
  for (const SstRef& f : inputs) {
    CAIRN_ASSIGN_OR_RETURN(auto reader, Reader(*f));
    children.push_back(reader->NewIterator());
  }
  GcOptions gc;
  gc.watermark = WatermarkEpoch();
  // Every L1 SST overlapping the inputs is an input, so nothing older exists below.
  gc.bottom_level = true;
  // A dropped table's data is garbage once no permitted read can see the table: reads
  // are at or above the watermark, or at the committed epoch.
  gc.table_gone = [&catalog, gone = std::min(gc.watermark, committed)](uint32_t id) {
    return catalog.DroppedBy(id, gone);
  };
  auto input = NewGcIterator(NewMergingIterator(std::move(children)), gc);
  input->SeekToFirst();

  std::vector<uint64_t> allocated;
  SstOutputOptions out = NewSstOutput(/*level=*/1, &allocated);
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
  for (const SstRef& f : inputs) edit.removed.push_back(f->object_id);
  CAIRN_RETURN_IF_ERROR(CommitEdit(edit, 0));
  std::lock_guard lock(mu_);
  stats_.compactions++;
  *did_work = true;
  return Status::OK();
}

}  // namespace cairn
