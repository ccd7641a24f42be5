// A cluster on mem:// (or sqlite:// + fs://) stores with a ManualClock, driven by hand
// (no background threads), that can be closed and reopened like a restarted process.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/clock.h"
#include "meta/keys.h"
#include "meta/meta_writer.h"
#include "meta_store/mem_meta_store.h"
#include "meta_store/meta_store.h"
#include "object_store/mem_object_store.h"
#include "object_store/object_store.h"
#include "storage/cluster.h"
#include "storage/storage_codec.h"
#include "testing/test_util.h"

namespace cairn::testing {

class StorageEnv {
 public:
  // `fs_dir` non-empty: sqlite:// + fs:// under that directory instead of mem://.
  explicit StorageEnv(std::string fs_dir = "") : fs_dir_(std::move(fs_dir)) {
    static std::atomic<int> counter{0};
    name_ = "storage-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    options.clock = &clock;
    options.background_threads = false;
    options.vacuum_min_age_ms = 0;
    options.pitr_retention_ms = 0;
    options.target_sst_bytes = 64 << 10;
    options.block_cache_bytes = 1 << 20;
  }
  ~StorageEnv() {
    Close();
    writer_.reset();
    meta_.reset();
    objects_.reset();
    if (fs_dir_.empty()) {
      MemMetaStore::Drop(name_);
      DropMemObjectStore(name_);
    }
  }

  std::string MetaUrl() const {
    return fs_dir_.empty() ? "mem://" + name_ : "sqlite://" + fs_dir_ + "/meta.db";
  }
  std::string ObjectUrl() const {
    return fs_dir_.empty() ? "mem://" + name_ : "fs://" + fs_dir_ + "/data";
  }

  // Opens fresh store handles (like a new process) unless overridden, then the cluster.
  Status Open(MetaStore* meta = nullptr, ObjectStore* objects = nullptr) {
    Close();
    if (!meta_) {
      auto m = OpenMetaStore(MetaUrl());
      if (!m.ok()) return m.status();
      meta_ = std::move(m).value();
    }
    if (!objects_) {
      auto o = OpenObjectStore(ObjectUrl(), ObjectStoreOptions{&clock});
      if (!o.ok()) return o.status();
      objects_ = std::move(o).value();
    }
    writer_ = std::make_unique<MetaWriter>(meta ? meta : meta_.get(), &clock);
    CAIRN_RETURN_IF_ERROR(writer_->Open());
    auto c = Cluster::Open(writer_.get(), objects ? objects : objects_.get(), options);
    if (!c.ok()) return c.status();
    cluster = std::move(c).value();
    return Status::OK();
  }
  void Close() {
    if (cluster) {
      (void)cluster->Close();
      cluster.reset();
    }
  }
  Status Reopen() {
    Close();
    writer_.reset();
    meta_.reset();
    objects_.reset();
    return Open();
  }

  MetaStore* meta() { return meta_.get(); }
  MetaWriter* writer() { return writer_.get(); }
  ObjectStore* objects() { return objects_.get(); }
  const std::string& name() const { return name_; }

  // Object ids of the SSTs in the committed version, read from the meta store.
  std::set<uint64_t> VersionObjects() {
    std::set<uint64_t> ids;
    auto kvs = meta_->Range(keys::kStorageSstPrefix, PrefixEnd(keys::kStorageSstPrefix), 100000);
    EXPECT_TRUE(kvs.ok());
    for (const auto& kv : *kvs) ids.insert(DecodeSstMeta(kv.value)->object_id);
    return ids;
  }
  std::set<uint64_t> StaleObjects() {
    std::set<uint64_t> ids;
    auto kvs =
        meta_->Range(keys::kStorageStalePrefix, PrefixEnd(keys::kStorageStalePrefix), 100000);
    EXPECT_TRUE(kvs.ok());
    for (const auto& kv : *kvs) {
      uint64_t id = 0;
      ParseSstObjectKey("data/" + kv.key.substr(keys::kStorageStalePrefix.size()) + ".sst", &id);
      ids.insert(id);
    }
    return ids;
  }
  std::set<uint64_t> StoredObjects() {
    std::set<uint64_t> ids;
    EXPECT_TRUE(ListAll(*objects_, "data/", [&](const ObjectMeta& m) {
                  uint64_t id = 0;
                  if (ParseSstObjectKey(m.key, &id)) ids.insert(id);
                  return Status::OK();
                }).ok());
    return ids;
  }

  ManualClock clock;
  ClusterOptions options;
  std::unique_ptr<Cluster> cluster;

 private:
  std::string fs_dir_;
  std::string name_;
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<MetaWriter> writer_;
};

// All rows of a table at `as_of` (0 = latest), or the scan's error.
inline Result<std::map<std::string, std::string>> ScanAll(Cluster* c, uint32_t table,
                                                          uint64_t as_of = 0) {
  ReadOptions ro;
  ro.as_of_epoch = as_of;
  auto it = c->Scan(table, "", "", ro);
  if (!it.ok()) return it.status();
  std::map<std::string, std::string> rows;
  for (; (*it)->Valid(); (*it)->Next()) rows[std::string((*it)->key())] = (*it)->value();
  if (!(*it)->status().ok()) return (*it)->status();
  return rows;
}

}  // namespace cairn::testing
