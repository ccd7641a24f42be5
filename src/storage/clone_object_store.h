// CloneObjectStore: a clone's object store (docs/clones.md). SST objects
// (`data/<16 hex>.sst`) whose id is below a layer's boundary are external: they are read
// from that layer's store (another cluster's) and never written or deleted through this
// one (FailedPrecondition). Everything else — the clone's own SSTs, its identity, lease
// and deleted-ids mark — goes to the clone's own store. A listing under `data/` yields
// each layer's SSTs inside its id range, then the own store's keys, so it stays in key
// order (ids only grow from layer to layer). After Detach() (the external SSTs were
// copied into the own store) every key is the own store's.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "object_store/object_store.h"

namespace cairn {

class CloneObjectStore : public ObjectStore {
 public:
  struct Layer {
    std::unique_ptr<ObjectStore> store;
    uint64_t below = 0;  // ids in [previous layer's below, below) live in `store`
  };
  // `layers` in ascending `below`.
  CloneObjectStore(std::unique_ptr<ObjectStore> own, std::vector<Layer> layers);

  // True when object `id` is read from another cluster's store (and never deleted).
  bool IsExternal(uint64_t id) const;
  // The store external object `id` is read from (nullptr when it is not external).
  ObjectStore* LayerOf(uint64_t id) const;
  ObjectStore* own() const { return own_.get(); }
  // From now on every key is the own store's.
  void Detach() { detached_.store(true); }

  using ObjectStore::NewWriter;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectMeta> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override;
  std::string DescribeForLog() const override { return own_->DescribeForLog(); }

 private:
  ObjectStore* ExternalStore(std::string_view key) const;
  Status RefuseWrite(std::string_view key) const;
  Result<ListPage> ListLayer(size_t i, std::string_view prefix, std::string_view token,
                             size_t limit);

  std::unique_ptr<ObjectStore> own_;
  std::vector<Layer> layers_;
  std::atomic<bool> detached_{false};
};

}  // namespace cairn
