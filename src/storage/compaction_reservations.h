// CompactionReservations: what the running compactions hold, so that compactions of
// disjoint key ranges run concurrently and no two overlapping ones ever do (docs/
// storage.md, "Concurrent compactions"). Not thread-safe: the cluster guards it.
//
// The rule: a compaction's range is [smallest, largest] of the user keys over all its
// inputs (the SSTs of its level AND the output level's SSTs they overlap; a trivial
// move's inputs overlap nothing below). A compaction may start only if none of its
// inputs is held, its range overlaps the range of no running compaction at any level,
// and, out of L0, no other L0 compaction runs. Trivial moves reserve like merges.
//
// Why the MVCC GC stays correct under concurrency: a compaction to level n drops a
// tombstone, or the versions below the newest one under the watermark, only when
// `Version::MayHaveBelow(n, key)` (on the version it picked from) says no deeper level
// holds the key, and it keeps every version a permitted read can see among its inputs.
// Both answers are about the key's range only: every SST a compaction removes or adds
// lies inside its range (outputs are made from the inputs' keys), so a compaction that
// runs concurrently, with a disjoint range, never adds, removes or moves an SST that
// holds one of our keys, at any level: nothing below (or above) a running
// compaction's range changes under it, and two compactions never write overlapping
// SSTs into one level. New L0 SSTs from checkpoints are newer and above every level a
// compaction reads or writes; they only shadow. So each compaction's result is the one
// it would have had run alone on its picked version, and their commits (serialised by
// the version header's revision, each checking its inputs are still there) commute.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/compaction_picker.h"

namespace cairn {

// The user-part range [lo, hi] over all of `c`'s inputs (non-empty).
std::pair<std::string, std::string> CompactionRange(const Compaction& c);

class CompactionReservations {
 public:
  using Token = uint64_t;

  // Whether `c` may start now (the rule above).
  bool Admits(const Compaction& c) const;
  bool Holds(uint64_t object_id) const { return held_.count(object_id) > 0; }
  // Records `c` as running; Admits(c) must hold. Release(token) ends it (on success
  // and failure alike).
  Token Reserve(const Compaction& c);
  void Release(Token token);

  size_t running() const { return running_.size(); }

 private:
  struct Running {
    std::string lo, hi;
    bool from_level0 = false;
    std::vector<uint64_t> ids;
  };
  std::map<Token, Running> running_;
  std::set<uint64_t> held_;
  Token next_ = 1;
};

}  // namespace cairn
