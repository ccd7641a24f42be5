#include "storage/commit_budget.h"

#include <algorithm>

#include "meta/keys.h"

namespace cairn {
namespace {

// Fixed ops: the version header, the changelog record and the changelog seq.
constexpr size_t kFixedOps = 3;
// The header, the seq, the record's framing and per-op encoding overhead.
constexpr size_t kFixedBytes = 512;
constexpr size_t kPerOpOverhead = 16;

// storage/sst/<id> and storage/stale/<id> keys, and a decimal stale epoch.
size_t SstKeyBytes() { return keys::SstKey(0).size(); }
size_t RemovedBytes() { return SstKeyBytes() + keys::StaleKey(0).size() + 20 + 2 * kPerOpOverhead; }
size_t MetaBytes(size_t smallest, size_t largest, size_t tables) {
  // Format byte, varints (object id, level, lengths, epochs, size, count) and table ids.
  return SstKeyBytes() + smallest + largest + 1 + 10 * 8 + 5 * tables + kPerOpOverhead;
}

}  // namespace

CommitCost CommitBudget::Cost(const VersionEdit& edit) {
  CommitCost cost;
  cost.ops = edit.added.size() + edit.moved.size() + 2 * edit.removed.size() + kFixedOps;
  size_t body = edit.removed.size() * RemovedBytes();
  for (const auto* files : {&edit.added, &edit.moved}) {
    for (const SstMeta& f : *files) {
      body += MetaBytes(f.smallest_key.size(), f.largest_key.size(), f.table_ids.size());
    }
  }
  // The changelog record carries every op once more.
  cost.bytes = 2 * body + kFixedBytes;
  return cost;
}

CommitCost CommitBudget::Estimate(const std::vector<SstRef>& inputs, uint64_t target_bytes) {
  uint64_t bytes = 0;
  size_t key = 0, tables = 0;
  for (const SstRef& f : inputs) {
    bytes += f->file_size;
    key = std::max({key, f->smallest_key.size(), f->largest_key.size()});
    tables += f->table_ids.size();
  }
  size_t outputs = static_cast<size_t>(bytes / std::max<uint64_t>(target_bytes, 1)) + 2;
  CommitCost cost;
  cost.ops = outputs + 2 * inputs.size() + kFixedOps;
  // Every output may carry every table id of the inputs (bounded by their total).
  size_t body = inputs.size() * RemovedBytes() + outputs * MetaBytes(key, key, tables);
  cost.bytes = 2 * body + kFixedBytes;
  return cost;
}

CommitCost CommitBudget::EstimateMove(const std::vector<SstRef>& inputs) {
  VersionEdit edit;
  for (const SstRef& f : inputs) edit.moved.push_back(*f);
  return Cost(edit);
}

}  // namespace cairn
