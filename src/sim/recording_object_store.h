// RecordingObjectStore: sits directly on the cluster's base object store (below every
// fault injector), so it sees what really happened to each SST object: when it was
// created, with which bytes (xxhash64), and when it was deleted. The oracle checks from
// it that no SST is ever overwritten, that no SST key is created twice (an object id
// issued twice), and that nothing still referenced is deleted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "object_store/object_store.h"

namespace cairn::sim {

struct SstObjectRecord {
  uint64_t checksum = 0;  // xxhash64 of the bytes first written
  uint64_t size = 0;
  int created_step = 0;
  bool live = true;
  int deleted_step = -1;
};

struct ObjectEvent {
  enum class Kind {
    kCreated,
    kDeleted,
    kOverwritten,  // an existing SST was replaced: never allowed
    kRecreated,    // a deleted SST key was created again: its id was issued twice
  };
  Kind kind;
  uint64_t id;
  int step;
  int earlier_created = -1;  // kOverwritten/kRecreated: the earlier object's steps
  int earlier_deleted = -1;
};

class RecordingObjectStore final : public ObjectStore {
 public:
  explicit RecordingObjectStore(std::unique_ptr<ObjectStore> base) : base_(std::move(base)) {}

  void set_step(int step);
  // Events since the last call, in order.
  std::vector<ObjectEvent> TakeEvents();
  // Every SST object ever created, by object id.
  std::map<uint64_t, SstObjectRecord> ssts() const;
  // Deletes `key` from the base store without recording it (the lose-object bug).
  Status LoseSilently(std::string_view key) { return base_->Delete(key); }

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override { return base_->Get(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return base_->GetRange(key, offset, length);
  }
  Result<ObjectMeta> Head(std::string_view key) override { return base_->Head(key); }
  Status Delete(std::string_view key) override;
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override {
    return base_->List(prefix, token, limit);
  }
  std::string DescribeForLog() const override { return base_->DescribeForLog(); }

  // Called by writers and puts once `key` holds `data` (overwrite: it existed before).
  void Created(std::string_view key, std::string_view data, bool existed);

 private:
  std::unique_ptr<ObjectStore> base_;
  mutable std::mutex mu_;
  int step_ = 0;
  std::map<uint64_t, SstObjectRecord> ssts_;
  std::vector<ObjectEvent> events_;
};

}  // namespace cairn::sim
