// Epochs: u64 = (unix milliseconds << 16) | sequence. Monotonic, so a wall time
// maps to the range of epochs committed in that millisecond (design.md §3).
#pragma once

#include <cstdint>

namespace cairn {

inline constexpr int kEpochSeqBits = 16;

inline uint64_t EpochFromMillis(int64_t ms, uint64_t seq = 0) {
  return (static_cast<uint64_t>(ms) << kEpochSeqBits) | (seq & 0xffff);
}
inline int64_t EpochToMillis(uint64_t epoch) {
  return static_cast<int64_t>(epoch >> kEpochSeqBits);
}
// The largest epoch at or before wall time `ms`.
inline uint64_t MaxEpochAtMillis(int64_t ms) { return EpochFromMillis(ms, 0xffff); }

}  // namespace cairn
