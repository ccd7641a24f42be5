// EtcdMetaStore: `etcd://host:port[/prefix]` on etcd's v3 JSON gateway (design.md §2).
// The key layout (etcd_layout.h) keeps a per-store revision counter under the prefix.
//
// Commit is optimistic: read the counter and every compared key in one etcd txn (one
// etcd revision), evaluate the compares, then write the net effect of the ops plus
// counter+1 in an etcd txn guarded by "the counter's etcd mod_revision is unchanged".
// Every commit of the store moves the counter, so when the guard holds nothing the
// compares read has changed; when it fails another commit won, and the commit retries
// with the counter and compared keys that the failed txn read in its failure branch.
// A snapshot reads the counter (cairn revision R at etcd revision E) and then reads
// everything at etcd revision E. When etcd compacts past E, reads fail with Aborted.
// A txn beyond etcd's --max-txn-ops or --max-request-bytes is refused with
// InvalidArgument naming the limit; it is never split, which would break atomicity.
#pragma once

#include <memory>
#include <string>

#include "common/url.h"
#include "meta_store/etcd_client.h"
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
  // The counter and the compared keys, read at one etcd revision.
  struct CommitRead {
    bool valid = false;
    int64_t revision = 0;         // cairn revision
    int64_t counter_mod_rev = 0;  // etcd mod_revision of the counter key, 0 = absent
    std::vector<std::optional<KeyValue>> compared;  // parallel to txn.compares
  };

  EtcdMetaStore(const Url& url, Clock* clock);

  Result<CommitRead> ReadForCommit(const Txn& txn);
  // Range ops reading the counter (when `counter`) and compared keys [begin, end).
  nlohmann::json ReadOps(const Txn& txn, bool counter, size_t begin, size_t end,
                         int64_t etcd_revision) const;
  Status ParseReads(const nlohmann::json& responses, const Txn& txn, bool counter, size_t begin,
                    size_t end, CommitRead* read) const;
  // True when written. False when another commit moved the counter first; `read` is
  // then refreshed from the same etcd txn, or invalidated when that did not fit.
  Result<bool> TryWrite(const Txn& txn, CommitRead* read);
  Status WriteError(const Status& status, size_t ops) const;

  const std::string describe_;
  const std::shared_ptr<EtcdClient> client_;
  const std::shared_ptr<const EtcdLayout> layout_;
  Clock* const clock_;
};

}  // namespace cairn
