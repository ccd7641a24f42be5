// TableCache: the open TableReaders of a cluster, keyed by object id, at most
// `capacity` of them (least recently used dropped first), so that touching a million
// SSTs does not keep a million indexes and filters in memory.
//
// Only SSTs still in the current version are cached: a reader that raced a compaction
// (its older version names an SST the compaction removed) gets an uncached reader, so
// nothing keeps a removed SST's reader once its last user is done. The cluster erases
// the removed SSTs' entries after it installs a version (and vacuum before it deletes
// objects); the liveness check runs under the cache's lock, so an insert can never
// land after the erase that should have removed it. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "common/result.h"
#include "object_store/object_store.h"
#include "sst/block_cache.h"
#include "sst/table_reader.h"

namespace cairn {

class TableCache {
 public:
  // `live(id)`: whether the SST is in the current version; called with this cache's
  // lock held, so it must not call back into the cache.
  TableCache(ObjectStore* objects, sst::BlockCache* blocks, size_t capacity,
             std::function<bool(uint64_t)> live)
      : objects_(objects), blocks_(blocks), capacity_(capacity), live_(std::move(live)) {}

  Result<std::shared_ptr<sst::TableReader>> Get(uint64_t object_id);
  // Drops the reader and the cached blocks of each id.
  void Erase(const std::vector<uint64_t>& object_ids);
  // Drops every reader whose SST is no longer live (after a reload of the version).
  void EraseNotLive();

  size_t size() const;
  uint64_t opens() const;  // TableReader::Open calls so far

 private:
  using Lru = std::list<std::pair<uint64_t, std::shared_ptr<sst::TableReader>>>;

  ObjectStore* const objects_;
  sst::BlockCache* const blocks_;
  const size_t capacity_;
  const std::function<bool(uint64_t)> live_;
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<uint64_t, Lru::iterator> map_;
  uint64_t opens_ = 0;
};

}  // namespace cairn
