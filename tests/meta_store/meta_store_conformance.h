// The MetaStore conformance suite: one value-parameterized GoogleTest suite that every
// implementation (sqlite, mem, postgres, etcd) runs unchanged. A backend instantiates
// it in its own test executable:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, MetaStoreConformance,
//                            ::testing::Values(SqliteConformanceParam()),
//                            cairn::testing::MetaStoreConformanceName);
//
// and links the cairn_meta_store_conformance object library (see CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "meta_store/meta_store.h"

namespace cairn::testing {

struct MetaStoreConformanceParam {
  std::string name;  // a gtest name fragment, e.g. "sqlite"
  // Opens the store for one test; called again with the same id to reopen it after
  // the previous instance was destroyed. `test_id` is unique per test run, lower-case
  // [a-z0-9_], at most 48 characters: use it as a database/schema/prefix name so tests
  // sharing a server never see each other.
  std::function<Result<std::unique_ptr<MetaStore>>(const std::string& test_id)> open;
  // Removes whatever the test left behind (optional).
  std::function<void(const std::string& test_id)> cleanup;
  // Scale knobs, for slower bulk loads. Every commit the suite expects to succeed fits
  // the store's own MetaStore::BulkTxnLimits.
  size_t large_value_bytes = 16 << 20;
  size_t scan_keys = 1'000'000;
  // The server's hard limits on one commit, where it has any (etcd: --max-txn-ops,
  // --max-request-bytes); 0 = none beyond kMaxMetaKeySize / kMaxMetaValueSize.
  size_t server_max_txn_ops = 0;
  size_t server_max_request_bytes = 0;
};

class MetaStoreConformance : public ::testing::TestWithParam<MetaStoreConformanceParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Destroys the store and opens it again through the factory.
  void Reopen();

  // Commits `txn`; a test failure (and -1) when it does not succeed.
  int64_t MustCommit(const Txn& txn);
  int64_t MustPut(const std::string& key, const std::string& value);
  // The value of `key` at the latest revision, nullopt when absent.
  std::optional<KeyValue> MustGet(const std::string& key);
  // Every key in [begin, end) read through `snapshot`, in pages of `page` keys.
  std::vector<KeyValue> ScanAll(MetaSnapshot* snapshot, const std::string& begin,
                                const std::string& end, size_t page);

  std::string test_id_;
  std::unique_ptr<MetaStore> store_;
};

// Prints the param as its name (test listings and ctest names stay readable).
inline void PrintTo(const MetaStoreConformanceParam& param, std::ostream* os) { *os << param.name; }

// Names instantiations after MetaStoreConformanceParam::name.
std::string MetaStoreConformanceName(
    const ::testing::TestParamInfo<MetaStoreConformanceParam>& info);

}  // namespace cairn::testing
