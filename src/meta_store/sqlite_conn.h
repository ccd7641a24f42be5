// SqliteConn: one sqlite3 connection with a cache of prepared statements, and
// SqliteStmt: a scoped use of a cached statement (reset on scope exit). Errors become
// Status values that name the database file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

class SqliteConn {
 public:
  // Opens `path` (creating it when `create`). Never writes to the file by itself.
  static Result<std::unique_ptr<SqliteConn>> Open(const std::string& path, bool create);
  ~SqliteConn();
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  // Runs statements without results (pragmas, BEGIN/COMMIT, DDL).
  Status Exec(const char* sql);
  // A cached prepared statement for `sql` (a string literal: the cache keys on it).
  Result<sqlite3_stmt*> Prepare(const char* sql);
  // Maps an sqlite result code to a Status naming the file and `what` was being done.
  Status Error(int rc, std::string_view what) const;

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteConn(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

class SqliteStmt {
 public:
  explicit SqliteStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~SqliteStmt() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  // Binds bytes as a BLOB (an empty one stays a zero-length BLOB, never NULL), so
  // keys compare with memcmp order.
  int BindBlob(int index, std::string_view bytes);
  int BindInt64(int index, int64_t v) { return sqlite3_bind_int64(stmt_, index, v); }
  int Step() { return sqlite3_step(stmt_); }
  std::string ColumnBlob(int column);
  int64_t ColumnInt64(int column) { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace cairn
