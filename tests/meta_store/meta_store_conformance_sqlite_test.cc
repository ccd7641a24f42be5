// The conformance suite against sqlite:// stores, one database file per test.
#include <filesystem>

#include "meta_store/meta_store.h"
#include "meta_store_conformance.h"
#include "testing/test_util.h"

namespace cairn::testing {
namespace {

const TempDir& Dir() {
  static TempDir dir;
  return dir;
}

MetaStoreConformanceParam SqliteParam() {
  MetaStoreConformanceParam param;
  param.name = "sqlite";
  param.open = [](const std::string& test_id) {
    return OpenMetaStore("sqlite://" + Dir().Sub(test_id + ".db"));
  };
  param.cleanup = [](const std::string& test_id) {
    for (const char* suffix : {".db", ".db-wal", ".db-shm"}) {
      std::error_code ec;
      std::filesystem::remove(Dir().Sub(test_id + suffix), ec);
    }
  };
  return param;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MetaStoreConformance, ::testing::Values(SqliteParam()),
                         MetaStoreConformanceName);

}  // namespace
}  // namespace cairn::testing
