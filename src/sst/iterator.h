// Iterator over internal keys in CompareInternalKeys order. Used by SST blocks, whole
// tables, memtables and the engine's merging iterator.
#pragma once

#include <string_view>

#include "common/status.h"

namespace cairn::sst {

class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // Positions at the first entry >= target (internal key order).
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Non-OK when the iterator stopped because of an error; it is then !Valid().
  virtual Status status() const = 0;
};

}  // namespace cairn::sst
