#include "meta_store/sqlite_snapshot.h"

#include "meta_store/sqlite_schema.h"

namespace cairn {
namespace {

// Ends the read transaction; true when the connection is clean enough to reuse.
bool EndReadTxn(SqliteConn* conn) {
  if (sqlite3_get_autocommit(conn->db()) == 0 && !conn->Exec("ROLLBACK").ok()) return false;
  return sqlite3_get_autocommit(conn->db()) != 0;
}

}  // namespace

Result<std::unique_ptr<SqliteConn>> SqliteReaderPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  return SqliteConn::Open(path_, /*create=*/false);
}

void SqliteReaderPool::Release(std::unique_ptr<SqliteConn> conn) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

Result<std::unique_ptr<MetaSnapshot>> SqliteSnapshot::Begin(
    std::shared_ptr<SqliteReaderPool> pool) {
  CAIRN_ASSIGN_OR_RETURN(auto conn, pool->Acquire());
  Status begun = conn->Exec("BEGIN DEFERRED");
  if (!begun.ok()) return begun;
  auto revision = sqlite_meta::ReadRevision(conn.get());
  if (!revision.ok()) {
    if (EndReadTxn(conn.get())) pool->Release(std::move(conn));
    return revision.status();
  }
  return std::unique_ptr<MetaSnapshot>(
      new SqliteSnapshot(std::move(pool), std::move(conn), *revision));
}

SqliteSnapshot::~SqliteSnapshot() {
  if (EndReadTxn(conn_.get())) pool_->Release(std::move(conn_));
}

Result<std::optional<KeyValue>> SqliteSnapshot::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  return sqlite_meta::ReadKey(conn_.get(), key);
}

Result<std::vector<KeyValue>> SqliteSnapshot::Range(std::string_view begin, std::string_view end,
                                                    size_t limit) {
  std::lock_guard lock(mu_);
  return sqlite_meta::ReadRange(conn_.get(), begin, end, limit);
}

}  // namespace cairn
