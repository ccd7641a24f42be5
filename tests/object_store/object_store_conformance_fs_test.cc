// The conformance suite against fs:// stores, one temp dir per test.
#include <memory>

#include "object_store_conformance.h"
#include "testing/test_util.h"

namespace cairn::testing {
namespace {

ObjectStoreBackend FsBackend() {
  ObjectStoreBackend backend;
  backend.name = "fs";
  backend.prepare = [](const std::string& test_id) -> ObjectStoreOpener {
    auto dir = std::make_shared<TempDir>();
    std::string url = "fs://" + dir->Sub(test_id);
    return [dir, url] { return OpenObjectStore(url); };
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(Fs, ObjectStoreConformanceTest, ::testing::Values(FsBackend()),
                         BackendName);

}  // namespace
}  // namespace cairn::testing
