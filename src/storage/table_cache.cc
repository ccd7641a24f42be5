#include "storage/table_cache.h"

#include "storage/storage_codec.h"

namespace cairn {

Result<std::shared_ptr<sst::TableReader>> TableCache::Get(uint64_t object_id) {
  {
    std::lock_guard lock(mu_);
    auto it = map_.find(object_id);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
    ++opens_;
  }
  // Opened outside the lock: it reads the object store.
  CAIRN_ASSIGN_OR_RETURN(
      auto reader, sst::TableReader::Open(objects_, SstObjectKey(object_id), object_id, blocks_));
  std::lock_guard lock(mu_);
  if (capacity_ == 0 || map_.count(object_id) || !live_(object_id)) return reader;
  lru_.emplace_front(object_id, reader);
  map_[object_id] = lru_.begin();
  while (map_.size() > capacity_) {
    map_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return reader;
}

void TableCache::Erase(const std::vector<uint64_t>& object_ids) {
  {
    std::lock_guard lock(mu_);
    for (uint64_t id : object_ids) {
      auto it = map_.find(id);
      if (it == map_.end()) continue;
      lru_.erase(it->second);
      map_.erase(it);
    }
  }
  if (blocks_) {
    for (uint64_t id : object_ids) blocks_->EraseObject(id);
  }
}

void TableCache::EraseNotLive() {
  std::vector<uint64_t> gone;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, reader] : lru_) {
      if (!live_(id)) gone.push_back(id);
    }
  }
  Erase(gone);
}

size_t TableCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

uint64_t TableCache::opens() const {
  std::lock_guard lock(mu_);
  return opens_;
}

}  // namespace cairn
