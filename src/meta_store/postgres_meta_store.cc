#include "meta_store/postgres_meta_store.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <unordered_set>

#include "common/clock.h"
#include "meta_store/store_util.h"

namespace cairn {
namespace {

constexpr int kMaxCommitAttempts = 8;
constexpr int64_t kFirstBackoffMillis = 5;
constexpr int64_t kMaxBackoffMillis = 500;
// Bounds of one bulk INSERT: PostgreSQL caps a parameter at 1 GiB.
constexpr size_t kMaxBulkRows = 10'000;
constexpr size_t kMaxBulkBytes = 64 << 20;

// Rolls the open transaction back unless it committed, so that the connection returns
// to the pool idle (a connection left inside a transaction is dropped instead).
class TxnGuard {
 public:
  explicit TxnGuard(PgPool::Lease& conn) : conn_(conn) {}
  ~TxnGuard() {
    if (!committed_) (void)conn_->Exec("ROLLBACK");
  }
  void Committed() { committed_ = true; }

 private:
  PgPool::Lease& conn_;
  bool committed_ = false;
};

class PostgresSnapshot final : public MetaSnapshot {
 public:
  PostgresSnapshot(PgPool::Lease conn, std::shared_ptr<const PgSql> sql, int64_t revision)
      : conn_(std::move(conn)), sql_(std::move(sql)), revision_(revision) {}
  // Ends the read-only transaction; the connection goes back to the pool.
  ~PostgresSnapshot() override { (void)conn_->Exec("COMMIT"); }

  int64_t revision() const override { return revision_; }

  Result<std::optional<KeyValue>> Get(std::string_view key) override {
    PgStatement st(sql_->GetRow());
    st.Bytes(key);
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_ASSIGN_OR_RETURN(PgResult result, conn_->Exec(st));
    if (PQntuples(result.get()) == 0) return std::optional<KeyValue>();
    return std::optional<KeyValue>(
        KeyValue{std::string(key), PgBytes(result.get(), 0, 0), PgInt64(result.get(), 0, 1)});
  }

  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override {
    CAIRN_RETURN_IF_ERROR(ValidateRangeLimit(limit));
    PgStatement st(sql_->Range(!end.empty()));
    st.Bytes(begin);
    if (!end.empty()) st.Bytes(end);
    st.Int(static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max())));
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_ASSIGN_OR_RETURN(PgResult result, conn_->Exec(st));
    std::vector<KeyValue> out;
    int rows = PQntuples(result.get());
    out.reserve(rows);
    for (int i = 0; i < rows; ++i) {
      out.push_back(KeyValue{PgBytes(result.get(), i, 0), PgBytes(result.get(), i, 1),
                             PgInt64(result.get(), i, 2)});
    }
    return out;
  }

 private:
  std::mutex mu_;  // one statement at a time on conn_
  PgPool::Lease conn_;
  const std::shared_ptr<const PgSql> sql_;
  const int64_t revision_;
};

// Creates the schema and tables unless they exist (checked first, so that a role
// without CREATE privilege can use a schema an administrator made).
// Without `create_if_missing`, missing tables are NotFound.
Status InitSchema(PgPool& pool, const PgSql& sql, bool create_if_missing,
                  const std::string& describe) {
  CAIRN_ASSIGN_OR_RETURN(PgPool::Lease conn, pool.Acquire());
  CAIRN_ASSIGN_OR_RETURN(PgResult exists, conn->Exec(sql.TablesExist()));
  if (PgBool(exists.get(), 0, 0)) return Status::OK();
  if (!create_if_missing)
    return Status::NotFound("meta store " + describe + " has no cairn tables yet");
  std::vector<PgStatement> create;
  create.emplace_back("BEGIN");
  create.emplace_back(sql.LockSchemaInit());
  for (const std::string& statement : sql.CreateSchema()) create.emplace_back(statement);
  create.emplace_back("COMMIT");
  TxnGuard guard(conn);
  CAIRN_RETURN_IF_ERROR(conn->ExecBatch(create).status());
  guard.Committed();
  return Status::OK();
}

// Turns the run of puts starting at ops[begin] into as few statements as possible and
// returns the index after the run. One bulk INSERT may not name a key twice (ON
// CONFLICT would refuse to update a row twice), so a repeated key starts a new run,
// which also keeps "a later op wins".
size_t AppendPuts(const PgSql& sql, const std::vector<Op>& ops, size_t begin, int64_t revision,
                  std::vector<PgStatement>* out) {
  std::unordered_set<std::string_view> seen;
  std::vector<std::string_view> keys, values;
  size_t bytes = 0, i = begin;
  for (; i < ops.size() && ops[i].kind == Op::Kind::kPut; ++i) {
    size_t size = ops[i].key.size() + ops[i].value.size();
    if (!keys.empty() && (keys.size() == kMaxBulkRows || bytes + size > kMaxBulkBytes)) break;
    if (!seen.insert(ops[i].key).second) break;
    keys.push_back(ops[i].key);
    values.push_back(ops[i].value);
    bytes += size;
  }
  if (keys.size() == 1) {
    out->emplace_back(sql.Put()).Bytes(keys[0]).Bytes(values[0]).Int(revision);
  } else {
    out->emplace_back(sql.PutMany()).ByteArray(keys).ByteArray(values).Int(revision);
  }
  return i;
}

}  // namespace

PostgresMetaStore::PostgresMetaStore(std::shared_ptr<PgPool> pool, const std::string& schema,
                                     Clock* clock)
    : pool_(std::move(pool)),
      sql_(std::make_shared<const PgSql>(schema)),
      clock_(clock),
      describe_(pool_->config().describe) {}

Result<std::unique_ptr<MetaStore>> PostgresMetaStore::Open(const Url& url,
                                                           const MetaStoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(PgStoreConfig config, ParsePostgresUrl(url));
  auto pool = std::make_shared<PgPool>(config.connection);
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  std::unique_ptr<PostgresMetaStore> store(new PostgresMetaStore(pool, config.schema, clock));
  CAIRN_RETURN_IF_ERROR(
      InitSchema(*pool, *store->sql_, options.create_if_missing, store->describe_));
  return std::unique_ptr<MetaStore>(std::move(store));
}

Result<std::unique_ptr<MetaSnapshot>> PostgresMetaStore::Snapshot() {
  CAIRN_ASSIGN_OR_RETURN(PgPool::Lease conn, pool_->Acquire());
  std::vector<PgStatement> begin;
  begin.emplace_back("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  for (const std::string& set : sql_->ScanSettings()) begin.emplace_back(set);
  begin.emplace_back(sql_->ReadRevision());  // the first read fixes the snapshot
  auto results = conn->ExecBatch(begin);
  if (!results.ok()) {
    (void)conn->Exec("ROLLBACK");
    return results.status();
  }
  int64_t revision = PgInt64(results->back().get(), 0, 0);
  return std::unique_ptr<MetaSnapshot>(new PostgresSnapshot(std::move(conn), sql_, revision));
}

Result<int64_t> PostgresMetaStore::Commit(const Txn& txn) {
  CAIRN_RETURN_IF_ERROR(ValidateTxn(txn));
  int64_t backoff = kFirstBackoffMillis;
  for (int attempt = 1;; ++attempt) {
    Result<int64_t> result = TryCommit(txn);
    if (result.ok() || !IsPgRetryable(result.status()) || attempt == kMaxCommitAttempts) {
      return result;
    }
    clock_->SleepMillis(backoff);
    backoff = std::min(backoff * 2, kMaxBackoffMillis);
  }
}

Result<int64_t> PostgresMetaStore::TryCommit(const Txn& txn) {
  CAIRN_ASSIGN_OR_RETURN(PgPool::Lease conn, pool_->Acquire());
  TxnGuard guard(conn);
  std::vector<PgStatement> reads;
  reads.emplace_back("BEGIN");
  reads.emplace_back(sql_->LockRevision());  // serializes commits
  for (const Compare& c : txn.compares) {
    bool value = c.kind == Compare::Kind::kValueEquals;
    reads.emplace_back(value ? sql_->GetRow() : sql_->GetRevision()).Bytes(c.key);
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<PgResult> results, conn->ExecBatch(reads));
  const int64_t revision = PgInt64(results[1].get(), 0, 0);
  for (size_t i = 0; i < txn.compares.size(); ++i) {
    const Compare& c = txn.compares[i];
    const PGresult* row = results[i + 2].get();
    std::optional<KeyValue> current;
    if (PQntuples(row) > 0) {
      bool value = c.kind == Compare::Kind::kValueEquals;
      current = KeyValue{c.key, value ? PgBytes(row, 0, 0) : "", PgInt64(row, 0, value ? 1 : 0)};
    }
    CAIRN_RETURN_IF_ERROR(EvaluateCompare(c, current));
  }
  if (txn.ops.empty()) return revision;
  std::vector<PgStatement> writes = OpStatements(txn, revision + 1);
  writes.emplace_back(sql_->UpdateRevision()).Int(revision + 1);
  writes.emplace_back("COMMIT");
  CAIRN_RETURN_IF_ERROR(conn->ExecBatch(writes).status());
  guard.Committed();
  return revision + 1;
}

std::vector<PgStatement> PostgresMetaStore::OpStatements(const Txn& txn, int64_t revision) const {
  std::vector<PgStatement> out;
  for (size_t i = 0; i < txn.ops.size();) {
    const Op& op = txn.ops[i];
    switch (op.kind) {
      case Op::Kind::kPut:
        i = AppendPuts(*sql_, txn.ops, i, revision, &out);
        continue;
      case Op::Kind::kDelete:
        out.emplace_back(sql_->Delete()).Bytes(op.key);
        break;
      case Op::Kind::kDeleteRange:
        out.emplace_back(sql_->DeleteRange(!op.end.empty())).Bytes(op.key);
        if (!op.end.empty()) out.back().Bytes(op.end);
        break;
    }
    ++i;
  }
  return out;
}

}  // namespace cairn
