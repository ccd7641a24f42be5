#include "meta_store/mem_meta_store.h"

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <vector>

#include "meta_store/store_util.h"

namespace cairn {

namespace {

struct Version {
  int64_t revision;
  bool deleted;
  std::string value;
};

// Versions of one key, oldest first.
using History = std::vector<Version>;

// The version visible at `revision`, or nullptr when the key is absent then.
const Version* VisibleAt(const History& history, int64_t revision) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->revision <= revision) return it->deleted ? nullptr : &*it;
  }
  return nullptr;
}

}  // namespace

struct MemData {
  std::shared_mutex mu;  // commits exclusive, reads shared
  int64_t revision = 0;
  std::map<std::string, History, std::less<>> keys;

  std::mutex snapshots_mu;  // guards live_snapshots only
  std::multiset<int64_t> live_snapshots;

  std::optional<KeyValue> Read(std::string_view key, int64_t at) const {
    auto it = keys.find(key);
    if (it == keys.end()) return std::nullopt;
    const Version* v = VisibleAt(it->second, at);
    if (v == nullptr) return std::nullopt;
    return KeyValue{it->first, v->value, v->revision};
  }

  // Records the write of `key` (a tombstone when `value` is nullptr) at `at`.
  void Write(const std::string& key, const std::string* value, int64_t at) {
    History& history = keys[key];
    if (history.empty() || history.back().revision != at) history.push_back({at, false, {}});
    history.back().deleted = value == nullptr;
    history.back().value = value ? *value : std::string();
  }

  // Drops versions no live snapshot can read: everything older than the version
  // visible at the oldest live snapshot (or at `now` when there is none).
  void Prune(const std::string& key, int64_t now) {
    int64_t oldest;
    {
      std::lock_guard lock(snapshots_mu);
      oldest = live_snapshots.empty() ? now : *live_snapshots.begin();
    }
    auto it = keys.find(key);
    if (it == keys.end()) return;
    History& history = it->second;
    size_t keep = 0;
    while (keep + 1 < history.size() && history[keep + 1].revision <= oldest) ++keep;
    history.erase(history.begin(), history.begin() + static_cast<ptrdiff_t>(keep));
    // A leading tombstone every reader is past means the same as no entry.
    if (history.front().deleted && history.front().revision <= oldest) {
      history.erase(history.begin());
    }
    if (history.empty()) keys.erase(it);
  }
};

namespace {

class MemSnapshot final : public MetaSnapshot {
 public:
  MemSnapshot(std::shared_ptr<MemData> data, int64_t revision)
      : data_(std::move(data)), revision_(revision) {}
  ~MemSnapshot() override {
    std::lock_guard lock(data_->snapshots_mu);
    data_->live_snapshots.erase(data_->live_snapshots.find(revision_));
  }

  int64_t revision() const override { return revision_; }

  Result<std::optional<KeyValue>> Get(std::string_view key) override {
    std::shared_lock lock(data_->mu);
    return data_->Read(key, revision_);
  }

  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override {
    CAIRN_RETURN_IF_ERROR(ValidateRangeLimit(limit));
    std::shared_lock lock(data_->mu);
    std::vector<KeyValue> out;
    for (auto it = data_->keys.lower_bound(begin);
         it != data_->keys.end() && KeyInRange(it->first, begin, end) && out.size() < limit; ++it) {
      if (const Version* v = VisibleAt(it->second, revision_)) {
        out.push_back(KeyValue{it->first, v->value, v->revision});
      }
    }
    return out;
  }

 private:
  const std::shared_ptr<MemData> data_;
  const int64_t revision_;
};

std::mutex registry_mu;
std::map<std::string, std::shared_ptr<MemData>>& Registry() {
  static auto* registry = new std::map<std::string, std::shared_ptr<MemData>>();
  return *registry;
}

}  // namespace

Result<std::unique_ptr<MetaStore>> MemMetaStore::Open(const Url& url) {
  std::string name = url.host + url.path;
  if (name.empty()) {
    return std::unique_ptr<MetaStore>(new MemMetaStore(name, std::make_shared<MemData>()));
  }
  std::lock_guard lock(registry_mu);
  auto& data = Registry()[name];
  if (!data) data = std::make_shared<MemData>();
  return std::unique_ptr<MetaStore>(new MemMetaStore(name, data));
}

void MemMetaStore::Drop(const std::string& name) {
  std::lock_guard lock(registry_mu);
  Registry().erase(name);
}

Result<std::unique_ptr<MetaSnapshot>> MemMetaStore::Snapshot() {
  std::shared_lock lock(data_->mu);
  // Registered under the shared lock, so no commit can prune what it needs first.
  std::lock_guard snapshots_lock(data_->snapshots_mu);
  data_->live_snapshots.insert(data_->revision);
  return std::unique_ptr<MetaSnapshot>(new MemSnapshot(data_, data_->revision));
}

Result<int64_t> MemMetaStore::Commit(const Txn& txn) {
  CAIRN_RETURN_IF_ERROR(ValidateTxn(txn));
  std::unique_lock lock(data_->mu);
  const int64_t current = data_->revision;
  for (const Compare& compare : txn.compares) {
    CAIRN_RETURN_IF_ERROR(EvaluateCompare(compare, data_->Read(compare.key, current)));
  }
  if (txn.ops.empty()) return current;
  const int64_t next = current + 1;
  std::set<std::string> touched;
  for (const Op& op : txn.ops) {
    if (op.kind == Op::Kind::kPut) {
      data_->Write(op.key, &op.value, next);
      touched.insert(op.key);
      continue;
    }
    std::string_view end = op.kind == Op::Kind::kDelete ? std::string_view() : op.end;
    auto it = data_->keys.lower_bound(op.key);
    for (; it != data_->keys.end(); ++it) {
      bool in_range =
          op.kind == Op::Kind::kDelete ? it->first == op.key : KeyInRange(it->first, op.key, end);
      if (!in_range) break;
      if (data_->Read(it->first, next)) {
        data_->Write(it->first, nullptr, next);
        touched.insert(it->first);
      }
    }
  }
  data_->revision = next;
  for (const std::string& key : touched) data_->Prune(key, next);
  return next;
}

}  // namespace cairn
