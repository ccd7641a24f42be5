#include "meta_store/etcd_meta_store.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "common/clock.h"
#include "meta_store/store_util.h"

namespace cairn {
namespace {

using nlohmann::json;

// Range reads per etcd txn while reading compared keys: under etcd's default
// --max-txn-ops (128).
constexpr size_t kReadChunk = 100;
constexpr int kMaxCommitAttempts = 100;

json RangeOp(const std::string& key, int64_t etcd_revision) {
  json range = {{"key", Base64Encode(key)}};
  if (etcd_revision > 0) range["revision"] = std::to_string(etcd_revision);
  return {{"request_range", std::move(range)}};
}

// A field of a reply object; null when absent (proto3 JSON omits default values).
const json& Field(const json& object, const char* name) {
  static const json* null = new json();
  if (!object.is_object()) return *null;
  auto it = object.find(name);
  return it == object.end() ? *null : *it;
}

// The kvs of a range reply (absent when empty).
const json& Kvs(const json& range_reply) {
  static const json* empty = new json(json::array());
  const json& kvs = Field(range_reply, "kvs");
  return kvs.is_array() ? kvs : *empty;
}

Result<std::optional<KeyValue>> DecodeSingle(const json& range_reply, const std::string& key) {
  const json& kvs = Kvs(range_reply);
  if (kvs.empty()) return std::optional<KeyValue>();
  CAIRN_ASSIGN_OR_RETURN(std::string stored, EtcdBytes(kvs[0], "value"));
  CAIRN_ASSIGN_OR_RETURN(KeyValue kv, DecodeEtcdValue(key, stored));
  return std::optional<KeyValue>(std::move(kv));
}

class EtcdSnapshot final : public MetaSnapshot {
 public:
  EtcdSnapshot(std::shared_ptr<EtcdClient> client, std::shared_ptr<const EtcdLayout> layout,
               int64_t revision, int64_t etcd_revision, std::string describe)
      : client_(std::move(client)),
        layout_(std::move(layout)),
        revision_(revision),
        etcd_revision_(etcd_revision),
        describe_(std::move(describe)) {}

  int64_t revision() const override { return revision_; }

  Result<std::optional<KeyValue>> Get(std::string_view key) override {
    json request = {{"key", Base64Encode(layout_->DataKey(key))},
                    {"revision", std::to_string(etcd_revision_)}};
    auto reply = client_->Call("kv/range", request);
    if (!reply.ok()) return ReadError(reply.status());
    return DecodeSingle(*reply, std::string(key));
  }

  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override {
    CAIRN_RETURN_IF_ERROR(ValidateRangeLimit(limit));
    std::vector<KeyValue> out;
    if (!end.empty() && end <= begin) return out;
    int64_t capped = static_cast<int64_t>(std::min<size_t>(limit, 1ull << 62));
    json request = {{"key", Base64Encode(layout_->DataKey(begin))},
                    {"range_end", Base64Encode(layout_->DataEnd(end))},
                    {"limit", std::to_string(capped)},
                    {"revision", std::to_string(etcd_revision_)}};
    auto reply = client_->Call("kv/range", request);
    if (!reply.ok()) return ReadError(reply.status());
    const json& kvs = Kvs(*reply);
    out.reserve(kvs.size());
    for (const json& kv : kvs) {
      CAIRN_ASSIGN_OR_RETURN(std::string etcd_key, EtcdBytes(kv, "key"));
      CAIRN_ASSIGN_OR_RETURN(std::string key, layout_->CairnKey(etcd_key));
      CAIRN_ASSIGN_OR_RETURN(std::string stored, EtcdBytes(kv, "value"));
      CAIRN_ASSIGN_OR_RETURN(KeyValue decoded, DecodeEtcdValue(std::move(key), stored));
      out.push_back(std::move(decoded));
    }
    return out;
  }

 private:
  // etcd keeps history only back to its last compaction; a snapshot older than that
  // cannot be read any more, and the whole read (a backup) has to start over.
  Status ReadError(const Status& status) const {
    if (status.message().find("required revision has been compacted") == std::string::npos) {
      return status;
    }
    return Status::Aborted("etcd history compacted past snapshot revision " +
                           std::to_string(revision_) + " (etcd revision " +
                           std::to_string(etcd_revision_) + ") of " + describe_ +
                           "; retry the backup");
  }

  const std::shared_ptr<EtcdClient> client_;
  const std::shared_ptr<const EtcdLayout> layout_;
  const int64_t revision_;
  const int64_t etcd_revision_;
  const std::string describe_;
};

Status InvalidUrl(const Url& url, const std::string& why) {
  return Status::InvalidArgument("invalid etcd meta store URL '" + url.Redacted() + "': " + why);
}

Status ValidateUrl(const Url& url) {
  if (url.scheme != "etcd") return InvalidUrl(url, "scheme must be etcd://");
  if (url.host.empty()) return InvalidUrl(url, "missing host, e.g. etcd://127.0.0.1:2379/cairn");
  if (!url.user.empty() || !url.password.empty()) {
    return InvalidUrl(url, "etcd authentication is not supported; remove user:password@");
  }
  if (!url.query.empty()) {
    return InvalidUrl(
        url, "unknown parameter '" + url.query.begin()->first + "' (etcd URLs take no parameters)");
  }
  return Status::OK();
}

// Parses the counter key's value; 0 when absent.
Result<int64_t> CounterValue(const json& range_reply, int64_t* mod_revision) {
  const json& kvs = Kvs(range_reply);
  *mod_revision = 0;
  if (kvs.empty()) return int64_t{0};
  *mod_revision = EtcdInt(kvs[0], "mod_revision");
  CAIRN_ASSIGN_OR_RETURN(std::string text, EtcdBytes(kvs[0], "value"));
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return Status::Corruption("etcd meta store revision key holds " + EscapeKey(text) +
                              ", not a revision");
  }
  return value;
}

}  // namespace

EtcdMetaStore::EtcdMetaStore(const Url& url, Clock* clock)
    : describe_(url.Redacted()),
      client_(std::make_shared<EtcdClient>(url.host, url.port ? url.port : 2379, describe_)),
      layout_(std::make_shared<const EtcdLayout>(url.path)),
      clock_(clock) {}

Result<std::unique_ptr<MetaStore>> EtcdMetaStore::Open(const Url& url,
                                                       const MetaStoreOptions& options) {
  CAIRN_RETURN_IF_ERROR(ValidateUrl(url));
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  std::unique_ptr<EtcdMetaStore> store(new EtcdMetaStore(url, clock));
  // Fail at open, not at first use, when the server is unreachable.
  CAIRN_RETURN_IF_ERROR(store->Snapshot().status());
  return std::unique_ptr<MetaStore>(std::move(store));
}

Result<std::unique_ptr<MetaSnapshot>> EtcdMetaStore::Snapshot() {
  json request = {{"key", Base64Encode(layout_->RevisionKey())}};
  CAIRN_ASSIGN_OR_RETURN(json reply, client_->Call("kv/range", request));
  int64_t counter_mod_rev = 0;
  CAIRN_ASSIGN_OR_RETURN(int64_t revision, CounterValue(reply, &counter_mod_rev));
  int64_t etcd_revision = EtcdInt(Field(reply, "header"), "revision");
  return std::unique_ptr<MetaSnapshot>(
      new EtcdSnapshot(client_, layout_, revision, etcd_revision, describe_));
}

Result<int64_t> EtcdMetaStore::Commit(const Txn& txn) {
  CAIRN_RETURN_IF_ERROR(ValidateTxn(txn));
  CommitRead read;
  for (int attempt = 1; attempt <= kMaxCommitAttempts; ++attempt) {
    if (!read.valid) {
      CAIRN_ASSIGN_OR_RETURN(read, ReadForCommit(txn));
    }
    for (size_t i = 0; i < txn.compares.size(); ++i) {
      CAIRN_RETURN_IF_ERROR(EvaluateCompare(txn.compares[i], read.compared[i]));
    }
    if (txn.ops.empty()) return read.revision;
    const int64_t revision = read.revision + 1;
    CAIRN_ASSIGN_OR_RETURN(bool written, TryWrite(txn, &read));
    if (written) return revision;
    // Another commit won the race; after a few quick retries, give way briefly.
    if (attempt > 3) clock_->SleepMillis(std::min(attempt, 20));
  }
  return Status::Conflict(describe_ + ": commit gave up after " +
                          std::to_string(kMaxCommitAttempts) +
                          " attempts: concurrent commits kept winning");
}

nlohmann::json EtcdMetaStore::ReadOps(const Txn& txn, bool counter, size_t begin, size_t end,
                                      int64_t etcd_revision) const {
  json ops = json::array();
  if (counter) ops.push_back(RangeOp(layout_->RevisionKey(), 0));
  for (size_t i = begin; i < end; ++i) {
    ops.push_back(RangeOp(layout_->DataKey(txn.compares[i].key), etcd_revision));
  }
  return ops;
}

Status EtcdMetaStore::ParseReads(const json& responses, const Txn& txn, bool counter, size_t begin,
                                 size_t end, CommitRead* read) const {
  if (!responses.is_array() || responses.size() != (counter ? 1 : 0) + end - begin) {
    return Status::Corruption("etcd at " + client_->endpoint() +
                              " answered a read txn with the wrong number of responses");
  }
  size_t r = 0;
  if (counter) {
    CAIRN_ASSIGN_OR_RETURN(read->revision, CounterValue(Field(responses[r++], "response_range"),
                                                        &read->counter_mod_rev));
  }
  read->compared.resize(txn.compares.size());
  for (size_t i = begin; i < end; ++i, ++r) {
    CAIRN_ASSIGN_OR_RETURN(read->compared[i], DecodeSingle(Field(responses[r], "response_range"),
                                                           txn.compares[i].key));
  }
  return Status::OK();
}

Result<EtcdMetaStore::CommitRead> EtcdMetaStore::ReadForCommit(const Txn& txn) {
  CommitRead read;
  int64_t etcd_revision = 0;  // the first chunk reads the latest; the rest read the same
  size_t begin = 0;
  for (bool first = true; first || begin < txn.compares.size(); first = false) {
    size_t end = std::min(txn.compares.size(), begin + kReadChunk - (first ? 1 : 0));
    json ops = ReadOps(txn, first, begin, end, etcd_revision);
    CAIRN_ASSIGN_OR_RETURN(json reply, client_->Call("kv/txn", json{{"success", ops}}));
    if (first) etcd_revision = EtcdInt(Field(reply, "header"), "revision");
    CAIRN_RETURN_IF_ERROR(ParseReads(Field(reply, "responses"), txn, first, begin, end, &read));
    begin = end;
  }
  read.valid = true;
  return read;
}

Result<bool> EtcdMetaStore::TryWrite(const Txn& txn, CommitRead* read) {
  const int64_t next = read->revision + 1;
  const EtcdWrites writes = NetEffect(txn.ops);
  json success = json::array();
  for (const auto& [key, value] : writes.puts) {
    success.push_back({{"request_put",
                        {{"key", Base64Encode(layout_->DataKey(key))},
                         {"value", Base64Encode(EncodeEtcdValue(next, value))}}}});
  }
  for (const EtcdWrites::Range& r : writes.deletes) {
    success.push_back({{"request_delete_range",
                        {{"key", Base64Encode(layout_->DataKey(r.begin))},
                         {"range_end", Base64Encode(layout_->DataEnd(r.end))}}}});
  }
  success.push_back({{"request_put",
                      {{"key", Base64Encode(layout_->RevisionKey())},
                       {"value", Base64Encode(std::to_string(next))}}}});
  json guard = {{"target", "MOD"},
                {"key", Base64Encode(layout_->RevisionKey())},
                {"result", "EQUAL"},
                {"mod_revision", std::to_string(read->counter_mod_rev)}};
  // When the guard fails, the failure branch re-reads what the next attempt needs,
  // which saves a round trip per retry under contention.
  const bool reread = txn.compares.size() < kReadChunk;
  json failure = reread ? ReadOps(txn, true, 0, txn.compares.size(), 0) : json::array();
  const size_t ops = success.size();
  auto reply = client_->Call("kv/txn", json{{"compare", json::array({guard})},
                                            {"success", std::move(success)},
                                            {"failure", std::move(failure)}});
  if (!reply.ok()) return WriteError(reply.status(), ops);
  const json& succeeded = Field(*reply, "succeeded");
  if (succeeded.is_boolean() && succeeded.get<bool>()) return true;
  read->valid = reread;
  if (reread) {
    CAIRN_RETURN_IF_ERROR(
        ParseReads(Field(*reply, "responses"), txn, true, 0, txn.compares.size(), read));
  }
  return false;
}

Status EtcdMetaStore::WriteError(const Status& status, size_t ops) const {
  const std::string& message = status.message();
  const std::string what = "; a commit of " + std::to_string(ops) +
                           " etcd operations (its net puts and deletes plus the revision key)";
  if (message.find("too many operations in txn request") != std::string::npos) {
    return Status::InvalidArgument(message + what +
                                   " is over the server's --max-txn-ops limit (default 128); "
                                   "raise it on the etcd server");
  }
  if (message.find("request is too large") != std::string::npos ||
      message.find("larger than max") != std::string::npos) {
    return Status::InvalidArgument(message + what +
                                   " is over the server's --max-request-bytes limit (default "
                                   "1.5 MiB); raise it on the etcd server");
  }
  return status;
}

}  // namespace cairn
