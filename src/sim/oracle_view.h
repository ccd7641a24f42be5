// The oracle's view of a store (the cluster's object store, backup storage): reads go
// to the clean base store, writes are discarded. The oracle restores backups and points
// in time into scratch meta stores to compare them with the model; a restore also
// writes the object store's identity, fences its writer lease and records a new
// timeline in backup storage, none of which may reach the live system (the fence would
// stop the simulated server, the timeline would be one nobody runs).
#pragma once

#include "object_store/object_store.h"

namespace cairn::sim {

class OracleObjectView final : public ObjectStore {
 public:
  explicit OracleObjectView(ObjectStore* base) : base_(base) {}

  using ObjectStore::NewWriter;

  Status Put(std::string_view, std::string_view) override { return Status::OK(); }
  Status PutIfAbsent(std::string_view, std::string_view) override { return Status::OK(); }
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override { return base_->Get(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return base_->GetRange(key, offset, length);
  }
  Result<ObjectMeta> Head(std::string_view key) override { return base_->Head(key); }
  Status Delete(std::string_view) override { return Status::OK(); }
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override {
    return base_->List(prefix, token, limit);
  }
  std::string DescribeForLog() const override { return base_->DescribeForLog(); }

 private:
  ObjectStore* const base_;
};

}  // namespace cairn::sim
