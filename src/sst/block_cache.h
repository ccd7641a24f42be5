// BlockCache: a byte-budgeted LRU of parsed data blocks shared by every TableReader of
// a cluster, keyed by (object id, block offset). Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "sst/block.h"

namespace cairn::sst {

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const Block> Lookup(uint64_t object_id, uint64_t offset);
  // Inserts (replacing any entry under the same key) and evicts LRU entries over budget.
  void Insert(uint64_t object_id, uint64_t offset, std::shared_ptr<const Block> block);
  // Drops every block of an object (after it left the version).
  void EraseObject(uint64_t object_id);

  size_t usage() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Key {
    uint64_t object_id;
    uint64_t offset;
    bool operator==(const Key& o) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<uint64_t>()(k.object_id * 0x9E3779B97F4A7C15ull ^ k.offset);
    }
  };
  struct Entry {
    Key key;
    std::shared_ptr<const Block> block;
  };
  void EvictLocked();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map_;
  size_t usage_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace cairn::sst
