#include "meta_store/etcd_meta_store.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "common/clock.h"
#include "meta_store/store_util.h"

namespace cairn {
namespace {

using etcdserverpb::RequestOp;
using Ops = google::protobuf::RepeatedPtrField<RequestOp>;

// Range reads per etcd txn while reading compared keys: under etcd's default
// --max-txn-ops (128).
constexpr size_t kReadChunk = 100;
// Keys per Range call of a snapshot, so that one reply stays bounded.
constexpr int64_t kRangePage = 2000;
constexpr int kMaxCommitAttempts = 100;
constexpr int64_t kMaxTimeoutMillis = 3'600'000;

void AddRange(const std::string& key, int64_t etcd_revision, Ops* ops) {
  etcdserverpb::RangeRequest* range = ops->Add()->mutable_request_range();
  range->set_key(key);
  if (etcd_revision > 0) range->set_revision(etcd_revision);
}

Result<std::optional<KeyValue>> DecodeSingle(const etcdserverpb::RangeResponse& reply,
                                             const std::string& key) {
  if (reply.kvs().empty()) return std::optional<KeyValue>();
  CAIRN_ASSIGN_OR_RETURN(KeyValue kv, DecodeEtcdValue(key, reply.kvs(0).value()));
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
    etcdserverpb::RangeRequest request;
    request.set_key(layout_->DataKey(key));
    request.set_revision(etcd_revision_);
    auto reply = client_->Range(request);
    if (!reply.ok()) return ReadError(reply.status());
    return DecodeSingle(*reply, std::string(key));
  }

  // Reads in pages of kRangePage keys, all at the snapshot's etcd revision.
  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override {
    CAIRN_RETURN_IF_ERROR(ValidateRangeLimit(limit));
    std::vector<KeyValue> out;
    if (!end.empty() && end <= begin) return out;
    etcdserverpb::RangeRequest request;
    request.set_key(layout_->DataKey(begin));
    request.set_range_end(layout_->DataEnd(end));
    request.set_revision(etcd_revision_);
    while (out.size() < limit) {
      request.set_limit(static_cast<int64_t>(std::min<size_t>(limit - out.size(), kRangePage)));
      auto reply = client_->Range(request);
      if (!reply.ok()) return ReadError(reply.status());
      for (const mvccpb::KeyValue& kv : reply->kvs()) {
        CAIRN_ASSIGN_OR_RETURN(std::string key, layout_->CairnKey(kv.key()));
        CAIRN_ASSIGN_OR_RETURN(KeyValue decoded, DecodeEtcdValue(std::move(key), kv.value()));
        out.push_back(std::move(decoded));
      }
      if (!reply->more() || reply->kvs().empty()) break;
      request.set_key(reply->kvs(reply->kvs_size() - 1).key() + std::string(1, '\0'));
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
  for (const auto& [name, value] : url.query) {
    if (name != "timeout_ms") {
      return InvalidUrl(url, "unknown parameter '" + name + "' (etcd URLs take timeout_ms)");
    }
  }
  return Status::OK();
}

// The deadline of each etcd call: ?timeout_ms=N, 1..kMaxTimeoutMillis.
Result<int64_t> TimeoutMillis(const Url& url) {
  auto it = url.query.find("timeout_ms");
  if (it == url.query.end()) return EtcdClient::kDefaultTimeoutMillis;
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > kMaxTimeoutMillis) {
    return InvalidUrl(url, "timeout_ms must be a whole number of milliseconds in 1.." +
                               std::to_string(kMaxTimeoutMillis));
  }
  return value;
}

// Parses the counter key's value; 0 when absent.
Result<int64_t> CounterValue(const etcdserverpb::RangeResponse& reply, int64_t* mod_revision) {
  *mod_revision = 0;
  if (reply.kvs().empty()) return int64_t{0};
  *mod_revision = reply.kvs(0).mod_revision();
  const std::string& text = reply.kvs(0).value();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return Status::Corruption("etcd meta store revision key holds " + EscapeKey(text) +
                              ", not a revision");
  }
  return value;
}

// An etcd compare on the create_revision of `key` (IsEtcdExpressible compares only).
void AddCreateCompare(const Compare& compare, const std::string& key,
                      etcdserverpb::TxnRequest* request) {
  etcdserverpb::Compare* c = request->add_compare();
  c->set_target(etcdserverpb::Compare::CREATE);
  c->set_key(key);
  c->set_create_revision(0);
  c->set_result(compare.kind == Compare::Kind::kExists ? etcdserverpb::Compare::GREATER
                                                       : etcdserverpb::Compare::EQUAL);
}

}  // namespace

EtcdMetaStore::EtcdMetaStore(const Url& url, int64_t timeout_ms, Clock* clock)
    : describe_(url.Redacted()),
      client_(std::make_shared<EtcdClient>(url.host, url.port ? url.port : 2379, describe_,
                                           timeout_ms)),
      layout_(std::make_shared<const EtcdLayout>(url.path)),
      clock_(clock) {}

Result<std::unique_ptr<MetaStore>> EtcdMetaStore::Open(const Url& url,
                                                       const MetaStoreOptions& options) {
  CAIRN_RETURN_IF_ERROR(ValidateUrl(url));
  CAIRN_ASSIGN_OR_RETURN(int64_t timeout_ms, TimeoutMillis(url));
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  std::unique_ptr<EtcdMetaStore> store(new EtcdMetaStore(url, timeout_ms, clock));
  // Fail at open, not at first use, when the server is unreachable.
  CAIRN_RETURN_IF_ERROR(store->Snapshot().status());
  return std::unique_ptr<MetaStore>(std::move(store));
}

Result<std::unique_ptr<MetaSnapshot>> EtcdMetaStore::Snapshot() {
  etcdserverpb::RangeRequest request;
  request.set_key(layout_->RevisionKey());
  CAIRN_ASSIGN_OR_RETURN(etcdserverpb::RangeResponse reply, client_->Range(request));
  int64_t counter_mod_rev = 0;
  CAIRN_ASSIGN_OR_RETURN(int64_t revision, CounterValue(reply, &counter_mod_rev));
  return std::unique_ptr<MetaSnapshot>(
      new EtcdSnapshot(client_, layout_, revision, reply.header().revision(), describe_));
}

Result<int64_t> EtcdMetaStore::Commit(const Txn& txn) {
  CAIRN_RETURN_IF_ERROR(ValidateTxn(txn));
  EtcdCommitState state = known_.For(txn);
  for (int attempt = 1; attempt <= kMaxCommitAttempts; ++attempt) {
    // A commit without ops returns the current revision, so it always reads.
    if (NeedsRead(txn, state) || (txn.ops.empty() && !state.fresh)) {
      CAIRN_ASSIGN_OR_RETURN(state, ReadForCommit(txn));
      known_.Learn(state);
    }
    Status compared = EvaluateKnown(txn, state);
    if (!compared.ok() && state.fresh) return compared;
    if (!compared.ok()) {  // remembered state may be stale: confirm with a read
      state.valid = false;
      continue;
    }
    if (txn.ops.empty()) return state.revision;
    const int64_t revision = state.revision + 1;
    CAIRN_ASSIGN_OR_RETURN(bool written, TryWrite(txn, &state));
    known_.Learn(state);
    if (written) return revision;
    // Another commit won the race; after a few quick retries, give way briefly.
    if (attempt > 3) clock_->SleepMillis(std::min(attempt, 20));
  }
  return Status::Conflict(describe_ + ": commit gave up after " +
                          std::to_string(kMaxCommitAttempts) +
                          " attempts: concurrent commits kept winning");
}

void EtcdMetaStore::AddReadOps(const Txn& txn, bool counter, size_t begin, size_t end,
                               int64_t etcd_revision, Ops* ops) const {
  if (counter) AddRange(layout_->RevisionKey(), 0, ops);
  for (size_t i = begin; i < end; ++i) {
    AddRange(layout_->DataKey(txn.compares[i].key), etcd_revision, ops);
  }
}

Status EtcdMetaStore::ParseReads(const etcdserverpb::TxnResponse& reply, const Txn& txn,
                                 bool counter, size_t begin, size_t end,
                                 EtcdCommitState* state) const {
  const auto& responses = reply.responses();
  if (static_cast<size_t>(responses.size()) != (counter ? 1 : 0) + end - begin) {
    return Status::Corruption("etcd at " + client_->endpoint() +
                              " answered a read txn with the wrong number of responses");
  }
  int r = 0;
  if (counter) {
    CAIRN_ASSIGN_OR_RETURN(state->revision,
                           CounterValue(responses[r++].response_range(), &state->counter_mod_rev));
  }
  for (size_t i = begin; i < end; ++i, ++r) {
    const std::string& key = txn.compares[i].key;
    CAIRN_ASSIGN_OR_RETURN(state->keys[key], DecodeSingle(responses[r].response_range(), key));
  }
  return Status::OK();
}

Result<EtcdCommitState> EtcdMetaStore::ReadForCommit(const Txn& txn) {
  EtcdCommitState state;
  int64_t etcd_revision = 0;  // the first chunk reads the latest; the rest read the same
  size_t begin = 0;
  for (bool first = true; first || begin < txn.compares.size(); first = false) {
    size_t end = std::min(txn.compares.size(), begin + kReadChunk - (first ? 1 : 0));
    etcdserverpb::TxnRequest request;
    AddReadOps(txn, first, begin, end, etcd_revision, request.mutable_success());
    CAIRN_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse reply, client_->Txn(request));
    if (first) etcd_revision = reply.header().revision();
    CAIRN_RETURN_IF_ERROR(ParseReads(reply, txn, first, begin, end, &state));
    begin = end;
  }
  state.valid = true;
  state.fresh = true;
  return state;
}

Result<bool> EtcdMetaStore::TryWrite(const Txn& txn, EtcdCommitState* state) {
  const int64_t next = state->revision + 1;
  const EtcdWrites writes = NetEffect(txn.ops);
  etcdserverpb::TxnRequest request;
  for (const auto& [key, value] : writes.puts) {
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(layout_->DataKey(key));
    put->set_value(EncodeEtcdValue(next, value));
  }
  for (const EtcdWrites::Range& r : writes.deletes) {
    etcdserverpb::DeleteRangeRequest* del = request.add_success()->mutable_request_delete_range();
    del->set_key(layout_->DataKey(r.begin));
    del->set_range_end(layout_->DataEnd(r.end));
  }
  etcdserverpb::PutRequest* counter = request.add_success()->mutable_request_put();
  counter->set_key(layout_->RevisionKey());
  counter->set_value(std::to_string(next));
  // The guard: no commit of this store since `state` was true.
  etcdserverpb::Compare* guard = request.add_compare();
  guard->set_target(etcdserverpb::Compare::MOD);
  guard->set_key(layout_->RevisionKey());
  guard->set_result(etcdserverpb::Compare::EQUAL);
  guard->set_mod_revision(state->counter_mod_rev);
  if (state->counter_mod_rev > 0) {
    etcdserverpb::Compare* value = request.add_compare();
    value->set_target(etcdserverpb::Compare::VALUE);
    value->set_key(layout_->RevisionKey());
    value->set_result(etcdserverpb::Compare::EQUAL);
    value->set_value(std::to_string(state->revision));
  }
  // When the guard fails, the failure branch re-reads what the next attempt needs,
  // which saves a round trip per retry; compares on unknown keys go to etcd only
  // when that re-read fits, so that a failed one is re-evaluated on a fresh read.
  const bool reread = txn.compares.size() < kReadChunk;
  if (reread) {
    for (const Compare& compare : txn.compares) {
      if (state->keys.count(compare.key) == 0) {
        AddCreateCompare(compare, layout_->DataKey(compare.key), &request);
      }
    }
    AddReadOps(txn, true, 0, txn.compares.size(), 0, request.mutable_failure());
  }
  const size_t ops = static_cast<size_t>(request.success_size());
  auto reply = client_->Txn(request);
  if (!reply.ok()) {
    known_.Forget();  // the txn may or may not have been applied
    return WriteError(reply.status(), ops);
  }
  if (reply->succeeded()) {
    // The compares etcd checked held: those keys were absent (or present, unknown).
    for (const Compare& compare : txn.compares) {
      if (state->keys.count(compare.key) == 0 && compare.kind != Compare::Kind::kExists) {
        state->keys[compare.key] = std::nullopt;
      }
    }
    ApplyWrites(writes, next, reply->header().revision(), state);
    return true;
  }
  *state = EtcdCommitState();
  if (reread) {
    CAIRN_RETURN_IF_ERROR(ParseReads(*reply, txn, true, 0, txn.compares.size(), state));
    state->valid = true;
    state->fresh = true;
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
