// LevelSizing: how large each level of the LSM may grow before it is compacted into the
// next one (docs/storage.md, "Levels"), RocksDB's static `max_bytes_for_level_base`
// style: L0 is bounded by its bytes (by default the L1 target: RocksDB's four
// memtable-sized L0 files) and by its file count (which bounds read amplification),
// L1 by `max_bytes_for_level_base`, and each
// deeper level by `level_size_multiplier` times the one above. The last level is
// unbounded. A level's score is its size over its target; a score >= 1 asks for a
// compaction out of that level.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn {

class Version;

// The most levels a version can hold (L0..L6). A build with fewer would report the
// SSTs of deeper levels as Corruption, so this only ever grows.
inline constexpr int kMaxLevels = 7;

struct LevelSizingOptions {
  int num_levels = kMaxLevels;              // 2..kMaxLevels
  uint64_t level0_compaction_trigger = 24;  // L0 SSTs
  uint64_t level0_compaction_bytes = 0;     // L0 bytes; 0 = 2 x max_bytes_for_level_base
  uint64_t max_bytes_for_level_base = 256ull << 20;
  double level_size_multiplier = 10;
};

class LevelSizing {
 public:
  explicit LevelSizing(const LevelSizingOptions& options);

  int num_levels() const { return num_levels_; }
  int last_level() const { return num_levels_ - 1; }
  // Target bytes of level `level` >= 1 (the last level's is unbounded: UINT64_MAX).
  uint64_t TargetBytes(int level) const;
  // L0: the larger of SST count / file trigger and bytes / byte trigger; L1..: bytes /
  // target; the last level: 0.
  double Score(const Version& v, int level) const;

 private:
  int num_levels_;
  uint64_t l0_trigger_;
  uint64_t l0_bytes_;
  std::vector<uint64_t> target_bytes_;  // index = level
};

}  // namespace cairn
