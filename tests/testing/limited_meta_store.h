// LimitedMetaStore: a view of a store that refuses every commit beyond a server's hard
// limits the way etcd does (InvalidArgument naming the limit; nothing applied) and
// advertises the BulkTxnLimits that EtcdMetaStore does. Tests run a writer on it to show
// that each of its commits fits, without an etcd server.
#pragma once

#include <algorithm>
#include <atomic>
#include <string>

#include "meta_store/meta_store.h"

namespace cairn::testing {

class LimitedMetaStore final : public MetaStore {
 public:
  // Defaults: etcd's --max-txn-ops 128, --max-request-bytes 1.5 MiB, and EtcdMetaStore's
  // BulkTxnLimits {120, 1 MiB}.
  explicit LimitedMetaStore(MetaStore* base, size_t hard_ops = 128, size_t hard_bytes = 1536 * 1024,
                            TxnLimits advertised = {120, 1 << 20})
      : base_(base), hard_ops_(hard_ops), hard_bytes_(hard_bytes), advertised_(advertised) {}

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override { return base_->Snapshot(); }
  Result<int64_t> Commit(const Txn& txn) override {
    size_t bytes = 0;
    for (const Op& op : txn.ops) bytes += op.key.size() + op.value.size() + op.end.size();
    for (const Compare& c : txn.compares) bytes += c.key.size() + c.value.size();
    const size_t ops = std::max(txn.ops.size(), txn.compares.size());
    if (enforce_ && ops > hard_ops_) {
      ++refused_;
      return Status::InvalidArgument("a commit of " + std::to_string(ops) +
                                     " ops is over --max-txn-ops " + std::to_string(hard_ops_));
    }
    if (enforce_ && bytes > hard_bytes_) {
      ++refused_;
      return Status::InvalidArgument("a commit of " + std::to_string(bytes) +
                                     " bytes is over --max-request-bytes " +
                                     std::to_string(hard_bytes_));
    }
    auto revision = base_->Commit(txn);
    if (revision.ok() && !txn.ops.empty()) {
      ++commits_;
      max_ops_ = std::max<size_t>(max_ops_, ops);
      max_bytes_ = std::max<size_t>(max_bytes_, bytes);
    }
    return revision;
  }
  std::string DescribeForLog() const override { return "limited:" + base_->DescribeForLog(); }
  TxnLimits BulkTxnLimits() const override { return advertised_; }

  // false: commits of any size go through (to build a state quickly).
  void set_enforce(bool enforce) { enforce_ = enforce; }
  uint64_t commits() const { return commits_; }    // writing commits that applied
  uint64_t refused() const { return refused_; }    // commits refused for their size
  size_t max_ops() const { return max_ops_; }      // largest applied, in ops
  size_t max_bytes() const { return max_bytes_; }  // and in bytes

 private:
  MetaStore* const base_;
  const size_t hard_ops_;
  const size_t hard_bytes_;
  const TxnLimits advertised_;
  std::atomic<bool> enforce_{true};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<size_t> max_ops_{0};
  std::atomic<size_t> max_bytes_{0};
};

}  // namespace cairn::testing
