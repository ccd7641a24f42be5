// The conformance suite against mem:// stores, one named store per test.
#include "meta_store/mem_meta_store.h"
#include "meta_store/meta_store.h"
#include "meta_store_conformance.h"

namespace cairn::testing {
namespace {

MetaStoreConformanceParam MemParam() {
  MetaStoreConformanceParam param;
  param.name = "mem";
  param.open = [](const std::string& test_id) { return OpenMetaStore("mem://" + test_id); };
  param.cleanup = [](const std::string& test_id) { MemMetaStore::Drop(test_id); };
  return param;
}

INSTANTIATE_TEST_SUITE_P(Mem, MetaStoreConformance, ::testing::Values(MemParam()),
                         MetaStoreConformanceName);

}  // namespace
}  // namespace cairn::testing
