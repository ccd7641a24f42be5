// CommitBudget: whether a version delta fits one meta-store transaction
// (MetaStore::BulkTxnLimits; etcd: 120 ops, 1 MiB). A delta commit holds one put per
// added SST, a delete and a stale-epoch put per removed SST, the version header, and
// the MetaWriter's changelog record (which repeats every op) and seq, and one put per
// moved SST (a trivial move): so ops = added + moved + 2 * removed + 3 and bytes ~ 2 * (the ops'
// keys and values) + slack. Compaction bounds its inputs with Estimate before it writes anything,
// and CommitEdit refuses a delta that does not Fit before it commits (nothing is deleted then).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "meta_store/meta_store.h"
#include "storage/version.h"

namespace cairn {

struct CommitCost {
  size_t ops = 0;
  size_t bytes = 0;
};

class CommitBudget {
 public:
  explicit CommitBudget(MetaStore::TxnLimits limits) : limits_(limits) {}

  // The exact op count and a close upper bound of the bytes of `edit`'s commit.
  static CommitCost Cost(const VersionEdit& edit);
  // An upper bound of the cost of compacting `inputs` into SSTs of `target_bytes`:
  // outputs are at most input bytes / target + 2 files (each cut at the first user key
  // boundary past the target), with keys no longer than the inputs' longest.
  static CommitCost Estimate(const std::vector<SstRef>& inputs, uint64_t target_bytes);
  // The cost of moving `inputs` to another level (one put each).
  static CommitCost EstimateMove(const std::vector<SstRef>& inputs);

  bool Fits(const CommitCost& cost) const {
    return cost.ops <= limits_.max_ops && cost.bytes <= limits_.max_bytes;
  }
  MetaStore::TxnLimits limits() const { return limits_; }

 private:
  MetaStore::TxnLimits limits_;
};

}  // namespace cairn
