// The cairn SQLite file format and the statements that read and write it:
//   kv(key BLOB PRIMARY KEY, value BLOB, mod_revision INTEGER) WITHOUT ROWID
//   cairn_revision(id = 0, revision)   -- the store-wide revision, one row
//   cairn_schema(id = 0, version)      -- the format version, one row
// Keys are always bound as BLOBs, so SQLite orders and compares them with memcmp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "meta_store/meta_store.h"
#include "meta_store/sqlite_conn.h"

namespace cairn::sqlite_meta {

inline constexpr int64_t kSchemaVersion = 1;

// Checks an existing file (without writing to it) and refuses non-databases, other
// applications' databases and newer schema versions; then enables WAL with
// synchronous=FULL and creates the tables when the file is new.
Status InitSchema(SqliteConn* conn);

Result<int64_t> ReadRevision(SqliteConn* conn);
Status WriteRevision(SqliteConn* conn, int64_t revision);
Result<std::optional<KeyValue>> ReadKey(SqliteConn* conn, std::string_view key);
// Keys in [begin, end) ("" = unbounded), ascending, at most `limit`.
Result<std::vector<KeyValue>> ReadRange(SqliteConn* conn, std::string_view begin,
                                        std::string_view end, size_t limit);
// Applies one op, stamping written keys with `revision`.
Status WriteOp(SqliteConn* conn, const Op& op, int64_t revision);

}  // namespace cairn::sqlite_meta
