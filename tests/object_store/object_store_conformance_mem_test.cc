// The conformance suite against mem:// stores, one store name per test.
#include <memory>

#include "object_store/mem_object_store.h"
#include "object_store_conformance.h"

namespace cairn::testing {
namespace {

// Frees the test's objects when the opener goes away.
struct MemStoreDropper {
  std::string name;
  ~MemStoreDropper() { DropMemObjectStore(name); }
};

ObjectStoreBackend MemBackend() {
  ObjectStoreBackend backend;
  backend.name = "mem";
  backend.prepare = [](const std::string& test_id) -> ObjectStoreOpener {
    auto dropper = std::make_shared<MemStoreDropper>(MemStoreDropper{"conformance-" + test_id});
    return [dropper] { return OpenObjectStore("mem://" + dropper->name); };
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(Mem, ObjectStoreConformanceTest, ::testing::Values(MemBackend()),
                         BackendName);

}  // namespace
}  // namespace cairn::testing
