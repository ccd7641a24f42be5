#include "meta_store/postgres_schema.h"

#include <cctype>
#include <charconv>

namespace cairn {
namespace {

constexpr char kDefaultSchema[] = "cairn";

Status Invalid(const Url& url, const std::string& why) {
  return Status::InvalidArgument("invalid postgres meta store URL '" + url.Redacted() +
                                 "': " + why);
}

// Schema names are spliced into SQL, so only plain identifiers are accepted.
bool IsIdentifier(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool IsSslMode(const std::string& mode) {
  return mode == "disable" || mode == "allow" || mode == "prefer" || mode == "require" ||
         mode == "verify-ca" || mode == "verify-full";
}

// The key expressions the primary key is built on; see postgres_schema.h.
std::string Head(const std::string& param) {
  return "substring(" + param + "::bytea FROM 1 FOR 2048)";
}
std::string KeyIs(const std::string& param) {
  return "key_head = " + Head(param) + " AND key_hash = sha256(" + param + "::bytea)";
}
std::string KeyAtLeast(const std::string& param) {
  return "key_head >= " + Head(param) + " AND key >= " + param + "::bytea";
}
std::string KeyBelow(const std::string& param) {
  return "key_head <= " + Head(param) + " AND key < " + param + "::bytea";
}

constexpr char kUpsert[] =
    " ON CONFLICT (key_head, key_hash) DO UPDATE"
    " SET value = EXCLUDED.value, mod_revision = EXCLUDED.mod_revision";

}  // namespace

Result<PgStoreConfig> ParsePostgresUrl(const Url& url) {
  if (url.scheme != "postgres") {
    return Invalid(url, "scheme must be postgres://");
  }
  if (url.host.empty()) return Invalid(url, "missing host, e.g. postgres://user@host:5432/db");
  std::string db = url.path.empty() ? "" : url.path.substr(1);
  if (db.empty()) return Invalid(url, "missing database name, e.g. postgres://user@host/db");
  if (db.find('/') != std::string::npos) return Invalid(url, "database name contains '/'");
  PgStoreConfig config;
  PgConfig& c = config.connection;
  c.host = url.host;
  c.port = url.port ? url.port : 5432;
  c.user = url.user;
  c.password = url.password;
  c.dbname = db;
  c.describe = url.Redacted();
  config.schema = kDefaultSchema;
  for (const auto& [name, value] : url.query) {
    if (name == "schema") {
      if (!IsIdentifier(value)) {
        return Invalid(url,
                       "schema must be letters, digits and '_' (at most 63), got '" + value + "'");
      }
      config.schema = value;
    } else if (name == "sslmode") {
      if (!IsSslMode(value)) return Invalid(url, "unknown sslmode '" + value + "'");
      c.sslmode = value;
    } else if (name == "connect_timeout") {
      int seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc() || end != value.data() + value.size() || seconds <= 0) {
        return Invalid(url, "connect_timeout must be a positive number of seconds");
      }
      c.connect_timeout_seconds = seconds;
    } else {
      return Invalid(
          url, "unknown parameter '" + name + "' (supported: schema, sslmode, connect_timeout)");
    }
  }
  return config;
}

PgSql::PgSql(const std::string& schema)
    : kv_("\"" + schema + "\".kv"),
      revision_("\"" + schema + "\".revision"),
      schema_("\"" + schema + "\"") {}

std::vector<std::string> PgSql::CreateSchema() const {
  return {
      "CREATE SCHEMA IF NOT EXISTS " + schema_,
      "CREATE TABLE IF NOT EXISTS " + kv_ +
          " (key bytea NOT NULL, value bytea NOT NULL, mod_revision bigint NOT NULL,"
          " key_head bytea GENERATED ALWAYS AS (substring(key FROM 1 FOR 2048)) STORED,"
          " key_hash bytea GENERATED ALWAYS AS (sha256(key)) STORED,"
          " PRIMARY KEY (key_head, key_hash))",
      "CREATE TABLE IF NOT EXISTS " + revision_ +
          " (id int PRIMARY KEY CHECK (id = 1), revision bigint NOT NULL)",
      "INSERT INTO " + revision_ + " VALUES (1, 0) ON CONFLICT DO NOTHING",
  };
}

// Serializes schema creation across processes: concurrent CREATE ... IF NOT EXISTS
// can otherwise fail on the catalog's unique index. The lock id is arbitrary.
std::string PgSql::LockSchemaInit() const { return "SELECT pg_advisory_xact_lock(4242004242)"; }

std::string PgSql::TablesExist() const {
  return "SELECT to_regclass('" + kv_ + "') IS NOT NULL AND to_regclass('" + revision_ +
         "') IS NOT NULL";
}

// Right after a bulk load the table has no statistics, and the planner, guessing that
// few rows match, answers a Range with a bitmap scan and a sort of every matching row
// (0.5 s per page over a million keys). Ranges must always walk the primary key in
// order with an incremental sort on `key`; these settings leave no other plan.
std::vector<std::string> PgSql::ScanSettings() const {
  return {"SET LOCAL enable_sort = off", "SET LOCAL enable_bitmapscan = off",
          "SET LOCAL enable_seqscan = off"};
}

std::string PgSql::ReadRevision() const {
  return "SELECT revision FROM " + revision_ + " WHERE id = 1";
}

std::string PgSql::LockRevision() const { return ReadRevision() + " FOR UPDATE"; }

std::string PgSql::UpdateRevision() const {
  return "UPDATE " + revision_ + " SET revision = $1::bigint WHERE id = 1";
}

std::string PgSql::GetRow() const {
  return "SELECT value, mod_revision FROM " + kv_ + " WHERE " + KeyIs("$1");
}

std::string PgSql::GetRevision() const {
  return "SELECT mod_revision FROM " + kv_ + " WHERE " + KeyIs("$1");
}

std::string PgSql::Range(bool bounded) const {
  return "SELECT key, value, mod_revision FROM " + kv_ + " WHERE " + KeyAtLeast("$1") +
         (bounded ? " AND " + KeyBelow("$2") : "") + " ORDER BY key_head, key LIMIT " +
         (bounded ? "$3" : "$2") + "::bigint";
}

std::string PgSql::Put() const {
  return "INSERT INTO " + kv_ +
         " (key, value, mod_revision) VALUES ($1::bytea, $2::bytea, $3::bigint)" + kUpsert;
}

std::string PgSql::PutMany() const {
  return "INSERT INTO " + kv_ +
         " (key, value, mod_revision) SELECT k, v, $3::bigint"
         " FROM unnest($1::bytea[], $2::bytea[]) AS t(k, v)" +
         kUpsert;
}

std::string PgSql::Delete() const { return "DELETE FROM " + kv_ + " WHERE " + KeyIs("$1"); }

std::string PgSql::DeleteRange(bool bounded) const {
  return "DELETE FROM " + kv_ + " WHERE " + KeyAtLeast("$1") +
         (bounded ? " AND " + KeyBelow("$2") : "");
}

}  // namespace cairn
