// Epochs: u64 = (unix milliseconds << 16) | sequence. Monotonic, so a wall time
// maps to the range of epochs committed in that millisecond (design.md §3).
//
// All arithmetic here saturates: a time before the Unix epoch maps to epoch 0, a time
// past the largest representable millisecond to the largest epoch, and millisecond sums
// and differences clamp at the int64 range instead of wrapping (a huge pitr_retention
// must mean "keep everything", never "keep nothing").
#pragma once

#include <cstdint>
#include <limits>

namespace cairn {

inline constexpr int kEpochSeqBits = 16;
inline constexpr uint64_t kEpochSeqMask = (uint64_t{1} << kEpochSeqBits) - 1;
// The largest millisecond an epoch can hold (year ~10889).
inline constexpr int64_t kMaxEpochMillis = (int64_t{1} << (64 - kEpochSeqBits)) - 1;

// a + b and a - b in milliseconds, clamped to the int64 range.
inline int64_t SaturatingAddMillis(int64_t a, int64_t b) {
  int64_t out = 0;
  if (!__builtin_add_overflow(a, b, &out)) return out;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}
inline int64_t SaturatingSubMillis(int64_t a, int64_t b) {
  int64_t out = 0;
  if (!__builtin_sub_overflow(a, b, &out)) return out;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// The epoch of millisecond `ms` with sequence `seq`; 0 for ms < 0, and the largest
// millisecond for ms > kMaxEpochMillis.
inline uint64_t EpochFromMillis(int64_t ms, uint64_t seq = 0) {
  if (ms < 0) return 0;
  if (ms > kMaxEpochMillis) ms = kMaxEpochMillis;
  return (static_cast<uint64_t>(ms) << kEpochSeqBits) | (seq & kEpochSeqMask);
}
inline int64_t EpochToMillis(uint64_t epoch) {
  return static_cast<int64_t>(epoch >> kEpochSeqBits);
}
// The largest epoch at or before wall time `ms` (0 when ms < 0: no epoch is that old).
inline uint64_t MaxEpochAtMillis(int64_t ms) {
  return ms < 0 ? 0 : EpochFromMillis(ms, kEpochSeqMask);
}
// The largest epoch at or before `now_ms - window_ms`: the oldest edge of a retention
// window. 0 when the window reaches back before the Unix epoch (everything is inside).
inline uint64_t WindowStartEpoch(int64_t now_ms, int64_t window_ms) {
  return MaxEpochAtMillis(SaturatingSubMillis(now_ms, window_ms));
}

}  // namespace cairn
