#include "meta_store/sqlite_schema.h"

#include <limits>

#include "meta_store/store_util.h"

namespace cairn::sqlite_meta {
namespace {

constexpr const char* kCreateTables =
    "CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY, value BLOB NOT NULL,"
    " mod_revision INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cairn_revision(id INTEGER PRIMARY KEY CHECK (id = 0),"
    " revision INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cairn_schema(id INTEGER PRIMARY KEY CHECK (id = 0),"
    " version INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO cairn_revision VALUES (0, 0);"
    "INSERT OR IGNORE INTO cairn_schema VALUES (0, 1);";
static_assert(kSchemaVersion == 1, "kCreateTables writes schema version 1");

// Runs a one-row query and returns its first column as an integer.
Result<int64_t> QueryInt(SqliteConn* conn, const char* sql, std::string_view what) {
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn->Prepare(sql));
  SqliteStmt stmt(raw);
  int rc = stmt.Step();
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE) {
      return Status::Corruption("sqlite meta store " + conn->path() + ": " + std::string(what) +
                                " is missing");
    }
    return conn->Error(rc, what);
  }
  return stmt.ColumnInt64(0);
}

// A file that already holds tables must be a cairn meta store of a known version.
Status CheckExistingSchema(SqliteConn* conn) {
  CAIRN_ASSIGN_OR_RETURN(
      int64_t has_schema,
      QueryInt(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'cairn_schema'",
               "read schema"));
  if (has_schema == 0) {
    return Status::InvalidArgument("sqlite meta store " + conn->path() +
                                   ": the database is not a cairn meta store (it has other "
                                   "tables and no cairn_schema table)");
  }
  CAIRN_ASSIGN_OR_RETURN(
      int64_t version,
      QueryInt(conn, "SELECT version FROM cairn_schema WHERE id = 0", "schema version row"));
  if (version > kSchemaVersion) {
    return Status::NotSupported("sqlite meta store " + conn->path() + ": schema version " +
                                std::to_string(version) + " is newer than this build supports (" +
                                std::to_string(kSchemaVersion) + "); upgrade cairn");
  }
  if (version < 1) {
    return Status::Corruption("sqlite meta store " + conn->path() + ": invalid schema version " +
                              std::to_string(version));
  }
  return Status::OK();
}

Status EnableWal(SqliteConn* conn) {
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn->Prepare("PRAGMA journal_mode=WAL"));
  SqliteStmt stmt(raw);
  int rc = stmt.Step();
  if (rc != SQLITE_ROW) return conn->Error(rc, "enable WAL mode");
  if (stmt.ColumnBlob(0) != "wal") {
    return Status::IOError("sqlite meta store " + conn->path() +
                           ": cannot enable WAL mode (journal mode is " + stmt.ColumnBlob(0) + ")");
  }
  return Status::OK();
}

Status StepDone(SqliteConn* conn, SqliteStmt* stmt, std::string_view what) {
  int rc = stmt->Step();
  if (rc != SQLITE_DONE) return conn->Error(rc, what);
  return Status::OK();
}

KeyValue RowToKeyValue(SqliteStmt* stmt) {
  return KeyValue{stmt->ColumnBlob(0), stmt->ColumnBlob(1), stmt->ColumnInt64(2)};
}

}  // namespace

Status InitSchema(SqliteConn* conn) {
  // The first read fails with SQLITE_NOTADB on a file that is not a database, before
  // anything could have been written to it.
  CAIRN_ASSIGN_OR_RETURN(int64_t objects,
                         QueryInt(conn, "SELECT count(*) FROM sqlite_master", "read database"));
  if (objects > 0) CAIRN_RETURN_IF_ERROR(CheckExistingSchema(conn));
  CAIRN_RETURN_IF_ERROR(EnableWal(conn));
  // FULL: an acknowledged commit survives power loss, not only a process crash.
  CAIRN_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=FULL"));
  if (objects > 0) return Status::OK();
  // IF NOT EXISTS / OR IGNORE: another process may be initializing the same new file.
  CAIRN_RETURN_IF_ERROR(conn->Exec("BEGIN IMMEDIATE"));
  Status created = conn->Exec(kCreateTables);
  if (created.ok()) created = conn->Exec("COMMIT");
  if (!created.ok()) (void)conn->Exec("ROLLBACK");  // the error to report is `created`
  return created;
}

Result<int64_t> ReadRevision(SqliteConn* conn) {
  return QueryInt(conn, "SELECT revision FROM cairn_revision WHERE id = 0", "revision row");
}

Status WriteRevision(SqliteConn* conn, int64_t revision) {
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                         conn->Prepare("UPDATE cairn_revision SET revision = ?1 WHERE id = 0"));
  SqliteStmt stmt(raw);
  stmt.BindInt64(1, revision);
  return StepDone(conn, &stmt, "update revision");
}

Result<std::optional<KeyValue>> ReadKey(SqliteConn* conn, std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                         conn->Prepare("SELECT key, value, mod_revision FROM kv WHERE key = ?1"));
  SqliteStmt stmt(raw);
  stmt.BindBlob(1, key);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<KeyValue>();
  if (rc != SQLITE_ROW) return conn->Error(rc, "get of meta key " + EscapeKey(key));
  return std::optional<KeyValue>(RowToKeyValue(&stmt));
}

Result<std::vector<KeyValue>> ReadRange(SqliteConn* conn, std::string_view begin,
                                        std::string_view end, size_t limit) {
  CAIRN_RETURN_IF_ERROR(ValidateRangeLimit(limit));
  const char* sql = end.empty() ? "SELECT key, value, mod_revision FROM kv WHERE key >= ?1"
                                  " ORDER BY key LIMIT ?3"
                                : "SELECT key, value, mod_revision FROM kv WHERE key >= ?1"
                                  " AND key < ?2 ORDER BY key LIMIT ?3";
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn->Prepare(sql));
  SqliteStmt stmt(raw);
  stmt.BindBlob(1, begin);
  if (!end.empty()) stmt.BindBlob(2, end);
  constexpr size_t kMaxLimit = std::numeric_limits<int64_t>::max();
  stmt.BindInt64(3, static_cast<int64_t>(std::min(limit, kMaxLimit)));
  std::vector<KeyValue> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) out.push_back(RowToKeyValue(&stmt));
  if (rc != SQLITE_DONE) return conn->Error(rc, "range read from " + EscapeKey(begin));
  return out;
}

Status WriteOp(SqliteConn* conn, const Op& op, int64_t revision) {
  const char* sql = nullptr;
  switch (op.kind) {
    case Op::Kind::kPut:
      sql =
          "INSERT INTO kv(key, value, mod_revision) VALUES (?1, ?2, ?3) ON CONFLICT(key)"
          " DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision";
      break;
    case Op::Kind::kDelete:
      sql = "DELETE FROM kv WHERE key = ?1";
      break;
    case Op::Kind::kDeleteRange:
      sql = op.end.empty() ? "DELETE FROM kv WHERE key >= ?1"
                           : "DELETE FROM kv WHERE key >= ?1 AND key < ?2";
      break;
  }
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn->Prepare(sql));
  SqliteStmt stmt(raw);
  stmt.BindBlob(1, op.key);
  if (op.kind == Op::Kind::kPut) {
    stmt.BindBlob(2, op.value);
    stmt.BindInt64(3, revision);
  } else if (op.kind == Op::Kind::kDeleteRange && !op.end.empty()) {
    stmt.BindBlob(2, op.end);
  }
  int rc = stmt.Step();  // the error text only on error: a restore writes 1M keys
  if (rc != SQLITE_DONE) return conn->Error(rc, "write of meta key " + EscapeKey(op.key));
  return Status::OK();
}

}  // namespace cairn::sqlite_meta
