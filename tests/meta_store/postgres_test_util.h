// Shared by the postgres:// tests: the server from scripts/test-servers.sh, its
// password handed to libpq through $PGPASSWORD, and schema cleanup.
#pragma once

#include <cstdlib>
#include <string>

#include "meta_store/postgres_connection.h"
#include "meta_store/postgres_schema.h"
#include "testing/test_util.h"

namespace cairn::testing {

// The URL of the test server ("" when not configured); exports the role's password as
// $PGPASSWORD, where libpq finds it (the URL itself carries none).
inline std::string PostgresTestUrl() {
  std::string url = ExternalEndpoint("CAIRN_TEST_POSTGRES_URL");
  std::string password = ExternalEndpoint("CAIRN_TEST_POSTGRES_PASSWORD");
  if (!password.empty()) setenv("PGPASSWORD", password.c_str(), /*overwrite=*/1);
  return url;
}

// `base` with `?schema=S` appended.
inline std::string WithSchema(const std::string& base, const std::string& schema) {
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema;
}

// Drops the schema a test created (best effort: a leftover only costs disk space).
inline void DropPostgresSchema(const std::string& base, const std::string& schema) {
  auto url = Url::Parse(WithSchema(base, schema));
  if (!url.ok()) return;
  auto config = ParsePostgresUrl(*url);
  if (!config.ok()) return;
  auto conn = PgConnection::Connect(config->connection);
  if (!conn.ok()) return;
  (void)(*conn)->Exec("DROP SCHEMA IF EXISTS \"" + config->schema + "\" CASCADE");
}

}  // namespace cairn::testing
