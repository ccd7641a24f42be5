#include "sst/block_cache.h"

namespace cairn::sst {

std::shared_ptr<const Block> BlockCache::Lookup(uint64_t object_id, uint64_t offset) {
  std::lock_guard lock(mu_);
  auto it = map_.find(Key{object_id, offset});
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->block;
}

void BlockCache::Insert(uint64_t object_id, uint64_t offset, std::shared_ptr<const Block> block) {
  std::lock_guard lock(mu_);
  Key key{object_id, offset};
  if (auto it = map_.find(key); it != map_.end()) {
    usage_ -= it->second->block->size();
    lru_.erase(it->second);
    map_.erase(it);
  }
  usage_ += block->size();
  lru_.push_front(Entry{key, std::move(block)});
  map_[key] = lru_.begin();
  EvictLocked();
}

void BlockCache::EraseObject(uint64_t object_id) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->key.object_id == object_id) {
      usage_ -= it->block->size();
      map_.erase(it->key);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void BlockCache::EvictLocked() {
  while (usage_ > capacity_ && !lru_.empty()) {
    usage_ -= lru_.back().block->size();
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

size_t BlockCache::usage() const {
  std::lock_guard lock(mu_);
  return usage_;
}
uint64_t BlockCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}
uint64_t BlockCache::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace cairn::sst
