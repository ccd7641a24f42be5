// Version: the immutable set of SSTs that make up the committed state, in levels
// (docs/storage.md, "Levels"): L0 holds one SST run per checkpoint, newest first; each
// of L1..L6 is one sorted run of non-overlapping SSTs, and for any user key every
// version in level n is newer than every version in level n+1. Readers hold a
// shared_ptr to the Version they started with; a commit installs a new one.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "storage/level_sizing.h"
#include "storage/storage_codec.h"

namespace cairn {

using SstRef = std::shared_ptr<const SstMeta>;

struct VersionEdit {
  std::vector<SstMeta> added;
  std::vector<uint64_t> removed;  // object ids
  // Trivial moves: SSTs of the version at a new level (same object, only the level
  // changed). Not removed, so never stale: vacuum keeps the object.
  std::vector<SstMeta> moved;
};

class Version {
 public:
  // Sorts and validates; Corruption when a level number is unknown.
  static Result<std::shared_ptr<const Version>> Make(uint64_t version_id,
                                                     std::vector<SstMeta> files);
  static Result<std::shared_ptr<const Version>> Make(uint64_t version_id,
                                                     const std::vector<SstRef>& files);
  // The version after `edit`: O(n) in the files of the version (untouched SSTs are
  // shared with this one, not copied; added ones are merged in, not re-sorted).
  Result<std::shared_ptr<const Version>> Apply(uint64_t version_id, const VersionEdit& edit) const;

  uint64_t version_id() const { return version_id_; }
  const std::vector<SstRef>& level(int i) const { return levels_[i]; }
  std::vector<SstRef> AllFiles() const;
  bool Contains(uint64_t object_id) const;  // O(log n)
  // The SST with `object_id`, or nullptr.
  SstRef Find(uint64_t object_id) const;
  size_t size() const { return ids_.size(); }
  uint64_t LevelBytes(int i) const { return level_bytes_[i]; }  // O(1): summed once
  // The SSTs of sorted level `level` >= 1 whose user parts intersect [lo, hi], in order.
  std::vector<SstRef> Overlapping(int level, std::string_view lo, std::string_view hi) const;
  // The same SSTs as indexes [first, last) into level(level), in O(log n).
  std::pair<size_t, size_t> OverlappingRange(int level, std::string_view lo,
                                             std::string_view hi) const;
  // Whether some SST below `level` may hold versions of `user_part`.
  bool MayHaveBelow(int level, std::string_view user_part) const;
  // The deepest level holding an SST (0 when the version is empty).
  int DeepestLevel() const;

 private:
  void SumLevelBytes();

  uint64_t version_id_ = 0;
  std::vector<SstRef> levels_[kMaxLevels];
  std::vector<uint64_t> ids_;  // every object id, sorted (8 bytes per SST)
  uint64_t level_bytes_[kMaxLevels] = {};
};

}  // namespace cairn
