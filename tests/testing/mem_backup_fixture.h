// MemBackupFixture: the in-process setup of backup-level tests. mem:// data, backup and
// meta stores named uniquely per test, a ManualClock, a MetaWriter with a cluster id, the
// engine without background threads, and a BackupService over them. A fixture derives
// from it and calls OpenCluster in its SetUp; TearDown closes the cluster.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backup/backup_service.h"
#include "common/clock.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/cluster.h"

namespace cairn {

// mem://<prefix>-<what>-<n>-<test name>: a new name at every call, in every test.
inline std::string UniqueMemName(const std::string& prefix, const char* what) {
  static int counter = 0;
  return "mem://" + prefix + "-" + what + "-" + std::to_string(++counter) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

class MemBackupFixture : public ::testing::Test {
 protected:
  // Opens the stores (names start with `prefix`), the writer with a cluster id drawn
  // from `id_seed`, the cluster with `options` (its clock and background_threads are
  // set here) and the backup service. Fails the test on any error.
  void OpenCluster(const std::string& prefix, ClusterOptions options = {}, uint64_t id_seed = 7) {
    prefix_ = prefix;
    ObjectStoreOptions store_options;
    store_options.clock = &clock_;
    objects_ = *OpenObjectStore(UniqueName("data"), store_options);
    backups_ = *OpenObjectStore(UniqueName("backup"), store_options);
    meta_ = *OpenMetaStore(UniqueName("meta"));
    writer_ = std::make_unique<MetaWriter>(meta_.get(), &clock_);
    ASSERT_TRUE(writer_->Open().ok());
    Random random(id_seed);
    auto id = EnsureClusterId(writer_.get(), &random);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    cluster_id_ = *id;
    options.clock = &clock_;
    options.background_threads = false;
    auto cluster = Cluster::Open(writer_.get(), objects_.get(), options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(cluster).value();
    service_ =
        std::make_unique<BackupService>(writer_.get(), objects_.get(), backups_.get(), &clock_);
  }
  void TearDown() override {
    if (cluster_) {
      EXPECT_TRUE(cluster_->Close().ok());
    }
  }
  std::string UniqueName(const char* what) const { return UniqueMemName(prefix_, what); }

  ManualClock clock_;
  std::unique_ptr<ObjectStore> objects_, backups_;
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<MetaWriter> writer_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<BackupService> service_;
  std::string cluster_id_;

 private:
  std::string prefix_ = "fixture";
};

}  // namespace cairn
