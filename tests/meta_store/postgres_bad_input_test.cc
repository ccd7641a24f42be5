// postgres:// with bad input: malformed URLs, a server that is down, a wrong password,
// an unknown database. Errors must be clear, name the server, and never contain the
// password.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "common/url.h"
#include "meta_store/meta_store.h"
#include "meta_store/postgres_schema.h"
#include "meta_store/postgres_test_util.h"

namespace cairn::testing {
namespace {

constexpr char kSecret[] = "Hunter2-not-the-password";

// The test server's URL with `user:password@` and `db` substituted.
std::string ServerUrl(const std::string& base, const std::string& password,
                      const std::string& db = "") {
  auto url = Url::Parse(base);
  EXPECT_TRUE(url.ok());
  return "postgres://" + url->user + (password.empty() ? "" : ":" + password) + "@" + url->host +
         ":" + std::to_string(url->port) + (db.empty() ? url->path : "/" + db);
}

void ExpectNoSecret(const Status& status, const std::string& secret) {
  EXPECT_EQ(status.ToString().find(secret), std::string::npos) << status.ToString();
}

TEST(PostgresUrl, Defaults) {
  auto url = Url::Parse("postgres://alice@db.example:6543/meta");
  ASSERT_TRUE(url.ok());
  auto config = ParsePostgresUrl(*url);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->schema, "cairn");
  EXPECT_EQ(config->connection.host, "db.example");
  EXPECT_EQ(config->connection.port, 6543);
  EXPECT_EQ(config->connection.user, "alice");
  EXPECT_EQ(config->connection.dbname, "meta");
  EXPECT_EQ(ParsePostgresUrl(*Url::Parse("postgres://h/db"))->connection.port, 5432);
  auto with = ParsePostgresUrl(*Url::Parse("postgres://h/db?schema=My_Schema2&sslmode=require"));
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_EQ(with->schema, "My_Schema2");
  EXPECT_EQ(with->connection.sslmode, "require");
}

TEST(PostgresUrl, MalformedUrlsAreInvalidArgumentsWithoutThePassword) {
  const std::string auth = std::string("bob:") + kSecret + "@";
  for (const std::string& text : std::vector<std::string>{
           "postgres:///db",                                  // no host
           "postgres://" + auth + "127.0.0.1:5432",           // no database
           "postgres://" + auth + "127.0.0.1:5432/",          // empty database
           "postgres://" + auth + "127.0.0.1/a/b",            // nested path
           "postgres://" + auth + "h/db?schema=bad-name",     // not an identifier
           "postgres://" + auth + "h/db?schema=x%22;drop",    // quote injection
           "postgres://" + auth + "h/db?schema=",             // empty schema
           "postgres://" + auth + "h/db?sslmode=sometimes",   // unknown sslmode
           "postgres://" + auth + "h/db?connect_timeout=0",   // not positive
           "postgres://" + auth + "h/db?connect_timeout=1x",  // not a number
           "postgres://" + auth + "h/db?user=root",           // unknown parameter
           "postgres://" + auth + "h:99999/db",               // port out of range
       }) {
    auto store = OpenMetaStore(text);
    ASSERT_FALSE(store.ok()) << text;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << store.status().ToString();
    ExpectNoSecret(store.status(), kSecret);
  }
}

TEST(PostgresBadInput, ServerDownIsUnavailableNamingHostAndPort) {
  const int port = FreePort();  // nothing listens there
  auto store = OpenMetaStore("postgres://cairn:" + std::string(kSecret) +
                             "@127.0.0.1:" + std::to_string(port) + "/cairn?connect_timeout=3");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << store.status().ToString();
  ExpectNoSecret(store.status(), kSecret);
}

TEST(PostgresBadInput, WrongPasswordIsPermissionDeniedWithoutEitherPassword) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_POSTGRES_URL");
  const std::string real = ExternalEndpoint("CAIRN_TEST_POSTGRES_PASSWORD");
  ASSERT_FALSE(real.empty()) << "CAIRN_TEST_POSTGRES_PASSWORD is not set";
  auto store = OpenMetaStore(ServerUrl(base, kSecret));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kPermissionDenied) << store.status().ToString();
  EXPECT_NE(store.status().message().find("password authentication failed"), std::string::npos)
      << store.status().ToString();
  ExpectNoSecret(store.status(), kSecret);
  ExpectNoSecret(store.status(), real);
}

TEST(PostgresBadInput, PasswordInTheUrlWorksAndNeverShows) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_POSTGRES_URL");
  const std::string real = ExternalEndpoint("CAIRN_TEST_POSTGRES_PASSWORD");
  ASSERT_FALSE(real.empty()) << "CAIRN_TEST_POSTGRES_PASSWORD is not set";
  unsetenv("PGPASSWORD");  // only the URL carries it
  const std::string schema = "bad_input_pw_" + std::to_string(getpid());
  auto store = OpenMetaStore(WithSchema(ServerUrl(base, real), schema));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string described = (*store)->DescribeForLog();
  EXPECT_EQ(described.find(real), std::string::npos) << described;
  EXPECT_NE(described.find(":***@"), std::string::npos) << described;
  EXPECT_EQ((*store)->Commit(Txn{{}, {Op::Put("k", "v")}}).status(), Status::OK());
  auto kv = (*store)->Get("k");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  store->reset();
  (void)PostgresTestUrl();  // restores $PGPASSWORD for the cleanup connection
  DropPostgresSchema(base, schema);
}

TEST(PostgresBadInput, UnknownDatabaseIsNotFound) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_POSTGRES_URL");
  (void)PostgresTestUrl();
  auto store = OpenMetaStore(ServerUrl(base, "", "no_such_db_for_cairn"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kNotFound) << store.status().ToString();
  EXPECT_NE(store.status().message().find("no_such_db_for_cairn"), std::string::npos)
      << store.status().ToString();
}

TEST(PostgresBadInput, UnknownRoleIsPermissionDenied) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_POSTGRES_URL");
  auto url = Url::Parse(base);
  ASSERT_TRUE(url.ok());
  auto store = OpenMetaStore("postgres://no_such_role:" + std::string(kSecret) + "@" + url->host +
                             ":" + std::to_string(url->port) + url->path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kPermissionDenied) << store.status().ToString();
  ExpectNoSecret(store.status(), kSecret);
}

}  // namespace
}  // namespace cairn::testing
