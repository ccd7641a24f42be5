// Block: a parsed, uncompressed block built by BlockBuilder, and its iterator.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "sst/iterator.h"

namespace cairn::sst {

class Block {
 public:
  // Validates the restart array; Corruption (with `what` in the message) when malformed.
  static Result<std::shared_ptr<const Block>> Parse(std::string contents, const std::string& what);

  size_t size() const { return data_.size(); }
  // The iterator keeps the block alive.
  static std::unique_ptr<Iterator> NewIterator(std::shared_ptr<const Block> block);
  // A point lookup without an iterator: the first entry >= target (internal-key order)
  // into *key and *value (pointing into this block) and true; false when every entry
  // is < target; Corruption when an entry on the way is malformed.
  Result<bool> Seek(std::string_view target, std::string* key, std::string_view* value) const;

 private:
  friend class BlockCursor;
  Block(std::string data, uint32_t restart_offset, uint32_t num_restarts, std::string what)
      : data_(std::move(data)),
        restart_offset_(restart_offset),
        num_restarts_(num_restarts),
        what_(std::move(what)) {}

  std::string data_;
  uint32_t restart_offset_;
  uint32_t num_restarts_;
  std::string what_;  // "SST data/x.sst block at offset N", for corruption messages
};

}  // namespace cairn::sst
