#include "meta_store/sqlite_conn.h"

namespace cairn {

Result<std::unique_ptr<SqliteConn>> SqliteConn::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  // NOMUTEX: every connection is used by one thread at a time (callers lock).
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<SqliteConn> conn(new SqliteConn(db, path));
  if (rc != SQLITE_OK) return conn->Error(rc, "open");
  sqlite3_extended_result_codes(db, 1);
  // Another process may hold the write lock for a moment; wait instead of failing.
  sqlite3_busy_timeout(db, 10'000);
  return conn;
}

SqliteConn::~SqliteConn() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SqliteConn::Exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Status::OK();
}

Result<sqlite3_stmt*> SqliteConn::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  statements_.emplace(sql, stmt);
  return stmt;
}

Status SqliteConn::Error(int rc, std::string_view what) const {
  std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string message =
      "sqlite meta store " + path_ + ": " + std::string(what) + " failed: " + detail;
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(message);
    default:
      return Status::IOError(message);
  }
}

int SqliteStmt::BindBlob(int index, std::string_view bytes) {
  if (bytes.empty()) return sqlite3_bind_zeroblob(stmt_, index, 0);
  return sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                           SQLITE_STATIC);
}

std::string SqliteStmt::ColumnBlob(int column) {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size == 0) return std::string();
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace cairn
