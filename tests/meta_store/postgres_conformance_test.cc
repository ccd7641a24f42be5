// The MetaStore conformance suite against a real PostgreSQL server, one schema per test.
#include "meta_store/meta_store.h"
#include "meta_store/postgres_test_util.h"
#include "meta_store_conformance.h"

namespace cairn::testing {
namespace {

std::string& ServerUrl() {
  static std::string url;
  return url;
}

// Fails (or, with CAIRN_TEST_EXTERNAL=0, skips) every test when no server is configured.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_POSTGRES_URL");
    ServerUrl() = PostgresTestUrl();
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

MetaStoreConformanceParam PostgresParam() {
  MetaStoreConformanceParam param;
  param.name = "postgres";
  param.open = [](const std::string& test_id) {
    return OpenMetaStore(WithSchema(ServerUrl(), test_id));
  };
  param.cleanup = [](const std::string& test_id) { DropPostgresSchema(ServerUrl(), test_id); };
  return param;
}

INSTANTIATE_TEST_SUITE_P(Postgres, MetaStoreConformance, ::testing::Values(PostgresParam()),
                         MetaStoreConformanceName);

}  // namespace
}  // namespace cairn::testing
