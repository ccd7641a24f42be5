// Helpers shared by the MetaStore implementations (sqlite, mem, postgres, etcd), so
// that every backend reports compares, limits and keys the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "meta_store/meta_store.h"

namespace cairn {

// A key safe for an error message: printable bytes as-is, others as \xNN, quoted, and
// cut after 128 bytes.
std::string EscapeKey(std::string_view key);

// OK when `compare` holds against `current` (nullopt = key absent), else Conflict
// naming the key and what differed.
Status EvaluateCompare(const Compare& compare, const std::optional<KeyValue>& current);

// InvalidArgument for limit == 0 (a Range must be able to make progress).
Status ValidateRangeLimit(size_t limit);

// True when `key` is inside [begin, end) with end == "" meaning no upper bound.
inline bool KeyInRange(std::string_view key, std::string_view begin, std::string_view end) {
  return key >= begin && (end.empty() || key < end);
}

}  // namespace cairn
