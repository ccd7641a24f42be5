// Version: the immutable set of SSTs that make up the committed state, in two levels
// (docs/storage.md, "Compaction"): L0 holds one SST run per checkpoint, newest first;
// L1 is one sorted run of non-overlapping SSTs. Readers hold a shared_ptr to the
// Version they started with; a commit installs a new one.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "common/result.h"
#include "storage/storage_codec.h"

namespace cairn {

inline constexpr int kNumLevels = 2;

using SstRef = std::shared_ptr<const SstMeta>;

struct VersionEdit {
  std::vector<SstMeta> added;
  std::vector<uint64_t> removed;  // object ids
};

class Version {
 public:
  // Sorts and validates; Corruption when a level number is unknown.
  static Result<std::shared_ptr<const Version>> Make(uint64_t version_id,
                                                     std::vector<SstMeta> files);
  Result<std::shared_ptr<const Version>> Apply(uint64_t version_id, const VersionEdit& edit) const;

  uint64_t version_id() const { return version_id_; }
  const std::vector<SstRef>& level(int i) const { return levels_[i]; }
  std::vector<SstRef> AllFiles() const;
  bool Contains(uint64_t object_id) const;
  uint64_t LevelBytes(int i) const;

 private:
  uint64_t version_id_ = 0;
  std::vector<SstRef> levels_[kNumLevels];
};

}  // namespace cairn
