#include "meta_store/lazy_meta_store.h"

#include <mutex>

#include "common/url.h"

namespace cairn {
namespace {

class EmptySnapshot final : public MetaSnapshot {
 public:
  int64_t revision() const override { return 0; }
  Result<std::optional<KeyValue>> Get(std::string_view) override {
    return std::optional<KeyValue>();
  }
  Result<std::vector<KeyValue>> Range(std::string_view, std::string_view, size_t) override {
    return std::vector<KeyValue>();
  }
};

class LazyMetaStore final : public MetaStore {
 public:
  LazyMetaStore(std::string url, MetaStoreOptions options, std::string describe)
      : url_(std::move(url)), options_(options), describe_(std::move(describe)) {}

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override {
    std::lock_guard lock(mu_);
    if (store_) return store_->Snapshot();
    return std::unique_ptr<MetaSnapshot>(new EmptySnapshot());
  }

  Result<int64_t> Commit(const Txn& txn) override {
    std::lock_guard lock(mu_);
    if (!store_ && txn.ops.empty()) return int64_t{0};
    if (!store_) {
      MetaStoreOptions create = options_;
      create.create_if_missing = true;
      CAIRN_ASSIGN_OR_RETURN(store_, OpenMetaStore(url_, create));
    }
    return store_->Commit(txn);
  }

  std::string DescribeForLog() const override { return describe_; }

  TxnLimits BulkTxnLimits() const override {
    std::lock_guard lock(mu_);
    return store_ ? store_->BulkTxnLimits() : MetaStore::BulkTxnLimits();
  }

 private:
  const std::string url_;
  const MetaStoreOptions options_;
  const std::string describe_;
  mutable std::mutex mu_;
  std::unique_ptr<MetaStore> store_;
};

}  // namespace

Result<std::unique_ptr<MetaStore>> OpenMetaStoreLazily(std::string_view url,
                                                       const MetaStoreOptions& options) {
  MetaStoreOptions probe = options;
  probe.create_if_missing = false;
  auto store = OpenMetaStore(url, probe);
  if (store.ok() || !store.status().IsNotFound()) return store;
  CAIRN_ASSIGN_OR_RETURN(Url parsed, Url::Parse(url));
  return std::unique_ptr<MetaStore>(
      new LazyMetaStore(std::string(url), options, parsed.Redacted()));
}

}  // namespace cairn
