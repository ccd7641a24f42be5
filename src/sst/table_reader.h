// TableReader: an open SST object. Open() costs a Head, an OpenReader and two ranged
// reads (footer, then filter+properties+index, which are contiguous); data blocks are
// read through the object's ObjectReader and the shared BlockCache. On fs:// the
// reader holds a file descriptor, so the cluster's TableCache bounds open files. Immutable after
// Open, so thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "object_store/object_store.h"
#include "sst/block.h"
#include "sst/block_cache.h"
#include "sst/format.h"
#include "sst/iterator.h"
#include "sst/properties.h"

namespace cairn::sst {

class TableReader : public std::enable_shared_from_this<TableReader> {
 public:
  // NotFound naming the object when it is missing; Corruption when truncated or
  // damaged; NotSupported for a newer format version. `cache` may be null.
  static Result<std::shared_ptr<TableReader>> Open(ObjectStore* store, std::string object_key,
                                                   uint64_t object_id, BlockCache* cache);

  const TableProperties& properties() const { return props_; }
  const std::string& object_key() const { return key_; }
  uint64_t file_size() const { return file_size_; }
  // False when no key with this user part (table id + user key) is in the SST.
  bool MayContain(std::string_view user_part) const;
  // The same for a precomputed BloomHash(user_part).
  bool MayContainHash(uint64_t bloom_hash) const;
  // The iterator keeps the reader alive. With `fill_cache` false (compaction inputs,
  // read once) blocks missing from the cache are read without being inserted, so a
  // compaction does not evict the blocks that reads use.
  std::unique_ptr<Iterator> NewIterator(bool fill_cache = true) const;
  // A point lookup without an iterator: the first entry >= target into *key and
  // *value and true; false when every entry is < target. The same entry a Seek of
  // NewIterator() lands on.
  Result<bool> SeekFirst(std::string_view target, std::string* key, std::string* value) const;

  Result<std::shared_ptr<const Block>> ReadBlock(const BlockHandle& handle,
                                                 bool fill_cache = true) const;

 private:
  TableReader(ObjectStore* store, std::string key, uint64_t object_id, BlockCache* cache)
      : store_(store), key_(std::move(key)), object_id_(object_id), cache_(cache) {}
  Status Load();
  std::string What() const { return "SST " + key_; }
  std::string BlockWhat(uint64_t offset) const {
    return What() + " block at offset " + std::to_string(offset);
  }

  ObjectStore* const store_;
  const std::string key_;
  const uint64_t object_id_;
  BlockCache* const cache_;
  std::unique_ptr<ObjectReader> file_;  // opened once: fs:// keeps the file open
  uint64_t file_size_ = 0;
  struct AlignedFree {
    void operator()(char* p) const;
  };

  std::shared_ptr<const Block> index_;
  // The filter block's contents, 64-byte aligned so a cache-local probe reads one line.
  std::unique_ptr<char[], AlignedFree> filter_;
  size_t filter_size_ = 0;
  TableProperties props_;
};

}  // namespace cairn::sst
