// Memtable: the writes of one epoch, sorted by user part (table id + user key). A later
// write of the same key in the same epoch replaces the earlier one. Not thread-safe:
// the cluster mutates it under its mutex and reads it only after sealing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sst/internal_key.h"
#include "sst/iterator.h"

namespace cairn {

class Memtable {
 public:
  explicit Memtable(uint64_t epoch) : epoch_(epoch) {}

  void Add(std::string user_part, sst::ValueKind kind, std::string_view value);

  uint64_t epoch() const { return epoch_; }
  bool empty() const { return entries_.empty(); }
  size_t entry_count() const { return entries_.size(); }
  size_t approximate_bytes() const { return bytes_; }

  // Yields internal keys at this memtable's epoch. The memtable must outlive the
  // iterator and not change while it is used.
  std::unique_ptr<sst::Iterator> NewIterator() const;

 private:
  struct Entry {
    sst::ValueKind kind;
    std::string value;
  };
  friend class MemtableIterator;

  const uint64_t epoch_;
  std::map<std::string, Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace cairn
