// The ObjectStore conformance suite: one value-parameterized GoogleTest suite that every
// backend runs unchanged. A backend instantiates it in its own test executable:
//
//   INSTANTIATE_TEST_SUITE_P(Fs, ObjectStoreConformanceTest,
//                            ::testing::Values(FsBackend()), BackendName);
//
// Link the test with cairn_object_store_conformance (an object library, so the TEST_Ps
// are always linked in).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "object_store/object_store.h"

namespace cairn::testing {

// Opens the test's store; called again after the previous instance was destroyed, it
// reopens the same store (same objects).
using ObjectStoreOpener = std::function<Result<std::unique_ptr<ObjectStore>>()>;

struct ObjectStoreBackend {
  std::string name;  // the test-name suffix: letters, digits and '_' only

  // Prepares an empty store for one test. `test_id` is unique per test and process run
  // (letters, digits, '-', '_'): use it as a store name or key prefix so that tests never
  // see each other's objects. Whatever the opener captures (a TempDir, a cleanup guard)
  // is released when the test ends.
  std::function<ObjectStoreOpener(const std::string& test_id)> prepare;

  // Sizes of the heavier tests; a slow backend may lower them, within the suite's minima
  // (>= 10,000 objects, >= 64 MiB).
  size_t list_object_count = 10'000;
  uint64_t large_object_size = uint64_t{64} << 20;

  // The size List reports for an object of n bytes; nullptr = n. A store that lists
  // the stored size of objects it transforms (the encrypting wrapper) sets it.
  std::function<uint64_t(uint64_t)> listed_size;
};

class ObjectStoreConformanceTest : public ::testing::TestWithParam<ObjectStoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Destroys the store and opens it again through the opener.
  void Reopen();

  ObjectStore& store() { return *store_; }
  // What List reports for an object of `n` bytes (ObjectStoreBackend::listed_size).
  uint64_t ListedSize(uint64_t n) const;

  ObjectStoreOpener opener_;
  std::unique_ptr<ObjectStore> store_;
};

// Names instantiations after ObjectStoreBackend::name.
std::string BackendName(const ::testing::TestParamInfo<ObjectStoreBackend>& info);

// Shows the backend by name in test listings instead of its bytes.
void PrintTo(const ObjectStoreBackend& backend, std::ostream* os);

}  // namespace cairn::testing
