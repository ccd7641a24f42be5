#include "storage/level_sizing.h"

#include <algorithm>
#include <limits>

#include "storage/version.h"

namespace cairn {

LevelSizing::LevelSizing(const LevelSizingOptions& options)
    : num_levels_(std::clamp(options.num_levels, 2, kMaxLevels)),
      l0_trigger_(std::max<uint64_t>(options.level0_compaction_trigger, 1)),
      l0_bytes_(std::max<uint64_t>(options.level0_compaction_bytes
                                       ? options.level0_compaction_bytes
                                       : 2 * options.max_bytes_for_level_base,
                                   1)),
      target_bytes_(num_levels_, 0) {
  double bytes = static_cast<double>(std::max<uint64_t>(options.max_bytes_for_level_base, 1));
  double multiplier = std::max(options.level_size_multiplier, 1.0);
  for (int level = 1; level < num_levels_; ++level) {
    target_bytes_[level] =
        bytes >= 1.8e19 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(bytes);
    bytes *= multiplier;
  }
  target_bytes_[last_level()] = std::numeric_limits<uint64_t>::max();
}

uint64_t LevelSizing::TargetBytes(int level) const {
  if (level <= 0 || level >= num_levels_) return std::numeric_limits<uint64_t>::max();
  return target_bytes_[level];
}

double LevelSizing::Score(const Version& v, int level) const {
  if (level == 0) {
    return std::max(static_cast<double>(v.level(0).size()) / static_cast<double>(l0_trigger_),
                    static_cast<double>(v.LevelBytes(0)) / static_cast<double>(l0_bytes_));
  }
  if (level >= last_level()) return 0;
  return static_cast<double>(v.LevelBytes(level)) / static_cast<double>(target_bytes_[level]);
}

}  // namespace cairn
