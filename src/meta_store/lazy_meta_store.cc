#include "meta_store/lazy_meta_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
  // `sqlite_path`: the file a sqlite store would be (empty for other kinds).
  LazyMetaStore(std::string url, MetaStoreOptions options, std::string describe,
                std::string sqlite_path)
      : url_(std::move(url)),
        options_(options),
        describe_(std::move(describe)),
        sqlite_path_(std::move(sqlite_path)) {}

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
      struct stat st;
      if (!sqlite_path_.empty() && stat(sqlite_path_.c_str(), &st) == 0) created_inode_ = st.st_ino;
    }
    return store_->Commit(txn);
  }

  bool CanUndoCreate() const override {
    std::lock_guard lock(mu_);
    return store_ != nullptr || !sqlite_path_.empty();
  }

  // Closes the store it created and, if that is a sqlite file, removes it (the same
  // inode only: never a file that replaced it meanwhile).
  Status RemoveCreated() override {
    std::lock_guard lock(mu_);
    if (!store_) return Status::OK();
    CAIRN_ASSIGN_OR_RETURN(auto any, store_->Range("", "", 1));
    if (!any.empty()) return Status::FailedPrecondition(describe_ + " is not empty: kept");
    store_.reset();  // closes it: sqlite folds and removes its -wal and -shm files
    struct stat st;
    if (sqlite_path_.empty() || created_inode_ == 0 || stat(sqlite_path_.c_str(), &st) != 0 ||
        st.st_ino != created_inode_) {
      return Status::OK();
    }
    for (const char* suffix : {"-wal", "-shm", ""}) {
      std::string path = sqlite_path_ + suffix;
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::IOError("cannot remove " + path + ": " + std::strerror(errno));
      }
    }
    return Status::OK();
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
  const std::string sqlite_path_;
  ino_t created_inode_ = 0;
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
  std::string sqlite_path;
  if (parsed.scheme == "sqlite") {
    CAIRN_ASSIGN_OR_RETURN(sqlite_path, parsed.AbsolutePath());
  }
  return std::unique_ptr<MetaStore>(
      new LazyMetaStore(std::string(url), options, parsed.Redacted(), std::move(sqlite_path)));
}

}  // namespace cairn
