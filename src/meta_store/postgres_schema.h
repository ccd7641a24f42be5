// The postgres:// meta store's URL and SQL: `postgres://user[:password]@host[:port]/db
// [?schema=S&sslmode=M&connect_timeout=SECONDS]`, and the statements over the tables
// of schema S (default "cairn"):
//   kv(key, value, mod_revision, key_head, key_hash) - one row per key;
//   revision(id = 1, revision)                        - the store-wide revision.
// A btree entry is limited to ~2.7 KB but meta keys may be 4 KiB, so the primary key is
// (key_head = the first 2048 bytes, key_hash = sha256(key)). Ordering by
// (key_head, key) equals ordering by key, and the planner serves it from the index with
// an incremental sort.
#pragma once

#include <string>

#include "common/url.h"
#include "meta_store/postgres_connection.h"

namespace cairn {

struct PgStoreConfig {
  PgConfig connection;
  std::string schema;
};

// InvalidArgument naming the redacted URL and what is wrong. The password comes from
// the URL, else libpq reads $PGPASSWORD (or ~/.pgpass).
Result<PgStoreConfig> ParsePostgresUrl(const Url& url);

// Statement text for one schema (already validated as a plain identifier).
class PgSql {
 public:
  explicit PgSql(const std::string& schema);

  // Creates the schema and tables when missing; safe to run concurrently (callers
  // hold an advisory lock in the same transaction).
  std::vector<std::string> CreateSchema() const;
  std::string LockSchemaInit() const;
  std::string TablesExist() const;  // -> bool

  // SET LOCAL statements for a snapshot transaction; see the .cc.
  std::vector<std::string> ScanSettings() const;

  std::string ReadRevision() const;       // -> revision
  std::string LockRevision() const;       // -> revision, row locked until commit
  std::string UpdateRevision() const;     // $1 revision
  std::string GetRow() const;             // $1 key -> value, mod_revision
  std::string GetRevision() const;        // $1 key -> mod_revision
  std::string Range(bool bounded) const;  // $1 begin [, $2 end], $n limit
  std::string Put() const;                // $1 key, $2 value, $3 revision
  std::string PutMany() const;  // $1 keys, $2 values (bytea[], distinct keys), $3 revision
  std::string Delete() const;   // $1 key
  std::string DeleteRange(bool bounded) const;  // $1 begin [, $2 end]

 private:
  std::string kv_;        // "schema".kv
  std::string revision_;  // "schema".revision
  std::string schema_;    // "schema"
};

}  // namespace cairn
