// Memtable: the writes of one epoch, sorted by user part (table id + user key), in a
// skiplist whose nodes, keys and values live in an arena (one pointer bump per write,
// freed all at once with the memtable). A later write of the same key in the same epoch
// replaces the earlier one: both are kept, the later one sorts first and iterators
// yield only it.
//
// Thread safety: Add needs external synchronisation (one writer at a time: the engine
// mutex); iterators need none and may run while Add inserts (they see some prefix of
// the concurrent inserts). The cluster iterates a memtable only after sealing it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sst/internal_key.h"
#include "sst/iterator.h"
#include "storage/arena.h"
#include "storage/skiplist.h"

namespace cairn {

class Memtable {
 public:
  explicit Memtable(uint64_t epoch);

  void Add(std::string_view user_part, sst::ValueKind kind, std::string_view value);

  uint64_t epoch() const { return epoch_; }
  bool empty() const { return writes_.load(std::memory_order_relaxed) == 0; }
  // Bytes of the entries and their nodes (the arena's blocks hold up to one block more).
  size_t approximate_bytes() const { return bytes_.load(std::memory_order_relaxed); }

  // Yields internal keys at this memtable's epoch, one per user part (its latest
  // write). The memtable must outlive the iterator.
  std::unique_ptr<sst::Iterator> NewIterator() const;

 private:
  // An entry in the arena: fixed32 user part size, fixed32 value size, fixed64 write
  // number, kind byte, user part, value.
  struct EntryCompare {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<EntryCompare>;
  friend class MemtableIterator;

  const uint64_t epoch_;
  Arena arena_;
  Table table_;
  std::atomic<uint64_t> writes_{0};
  std::atomic<size_t> bytes_{0};
};

}  // namespace cairn
