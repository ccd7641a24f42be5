// EtcdMetaStore: `etcd://host:port[/prefix][?timeout_ms=N]` on etcd's native gRPC KV
// API (design.md §2). The key layout (etcd_layout.h) keeps a per-store revision counter
// under the prefix. Every etcd call has a deadline (timeout_ms, default 10000).
//
// Commit is optimistic, one etcd txn in the common case: it is guarded by "the counter
// key's etcd mod_revision and value are what this store last saw", which holds only
// when no commit of the store happened since (every commit moves the counter), so
// compares on keys whose state the store knows at that counter (compared keys it read
// or wrote itself, etcd_commit_state.h) are evaluated locally; Absent and Exists
// compares on other keys become etcd compares on create_revision in the same txn.
// Other compares (a revision or a value of a key the store does not know) first read
// the counter and those keys in one etcd txn (one etcd revision). When the guard
// fails, the txn's failure branch reads the counter and every compared key, and the
// commit re-evaluates against that (a Conflict then is genuine) or retries.
// A snapshot reads the counter (cairn revision R at etcd revision E) and then reads
// everything at etcd revision E, in pages. When etcd compacts past E, reads fail with
// Aborted. A txn beyond etcd's --max-txn-ops or --max-request-bytes is refused with
// InvalidArgument naming the limit; it is never split, which would break atomicity.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/url.h"
#include "meta_store/etcd_client.h"
#include "meta_store/etcd_commit_state.h"
#include "meta_store/etcd_layout.h"
#include "meta_store/meta_store.h"

namespace cairn {

class EtcdMetaStore final : public MetaStore {
 public:
  // Validates the URL and checks that the server answers.
  static Result<std::unique_ptr<MetaStore>> Open(const Url& url, const MetaStoreOptions& options);

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return describe_; }
  // etcd's defaults (--max-txn-ops 128, --max-request-bytes 1.5 MiB), minus room for
  // the revision bookkeeping this store adds to every txn.
  TxnLimits BulkTxnLimits() const override { return {120, 1 << 20}; }

 private:
  EtcdMetaStore(const Url& url, int64_t timeout_ms, Clock* clock);

  // Reads the counter and every compared key at one etcd revision.
  Result<EtcdCommitState> ReadForCommit(const Txn& txn);
  // Range ops reading the counter (when `counter`) and compared keys [begin, end).
  void AddReadOps(const Txn& txn, bool counter, size_t begin, size_t end, int64_t etcd_revision,
                  google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops) const;
  Status ParseReads(const etcdserverpb::TxnResponse& reply, const Txn& txn, bool counter,
                    size_t begin, size_t end, EtcdCommitState* state) const;
  // True when written (`state` is then the state after the commit). False when the
  // guard failed; `state` is then re-read from the same etcd txn, or invalid when that
  // did not fit.
  Result<bool> TryWrite(const Txn& txn, EtcdCommitState* state);
  Status WriteError(const Status& status, size_t ops) const;

  const std::string describe_;
  const std::shared_ptr<EtcdClient> client_;
  const std::shared_ptr<const EtcdLayout> layout_;
  Clock* const clock_;
  EtcdKnownState known_;  // what the last commit saw, for the next one's guard
};

}  // namespace cairn
