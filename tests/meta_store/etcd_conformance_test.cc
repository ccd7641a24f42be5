// The MetaStore conformance suite against a real etcd server, one key prefix per test.
#include "meta_store/etcd_test_util.h"
#include "meta_store/meta_store.h"
#include "meta_store_conformance.h"

namespace cairn::testing {
namespace {

std::string& ServerUrl() {
  static std::string url;
  return url;
}

// Fails (or, with CAIRN_TEST_EXTERNAL=0, skips) every test when no server is configured.
class EtcdEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_ETCD_URL");
    ServerUrl() = url;
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new EtcdEnvironment);

MetaStoreConformanceParam EtcdParam() {
  MetaStoreConformanceParam param;
  param.name = "etcd";
  // etcd's defaults, as scripts/test-servers.sh runs it.
  param.server_max_txn_ops = 128;
  param.server_max_request_bytes = 1536 * 1024;
  // One put per key in commits of BulkTxnLimits().max_ops (120): 1M keys would take
  // 8334 commits.
  param.scan_keys = 120'000;
  param.open = [](const std::string& test_id) {
    return OpenMetaStore(WithPrefix(ServerUrl(), test_id));
  };
  param.cleanup = [](const std::string& test_id) { DeleteEtcdPrefix(ServerUrl(), test_id); };
  return param;
}

INSTANTIATE_TEST_SUITE_P(Etcd, MetaStoreConformance, ::testing::Values(EtcdParam()),
                         MetaStoreConformanceName);

}  // namespace
}  // namespace cairn::testing
