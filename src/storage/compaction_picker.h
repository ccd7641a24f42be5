// CompactionPicker: chooses the SSTs of one compaction (docs/storage.md, "Picking").
// A compaction merges SSTs of level n (n = 0: the oldest L0 SSTs, so that every L0 SST
// left behind is newer than the output) with every SST of level n+1 they overlap, and
// writes level n+1. One compaction therefore rewrites about (1 + fan-out) target-sized
// files, never a whole level, and its version delta must fit one meta-store commit
// (CommitBudget): the picker takes only inputs whose estimated delta fits. Inputs that
// overlap nothing at n+1 (and, at L0, nothing among themselves) are a trivial move:
// they change level by a metadata commit, nothing is rewritten.
//
// With `running` (the reservations of the compactions running now), PickAuto picks
// only a compaction they admit: none of its SSTs held, its key range disjoint from
// every running one, at most one out of L0 (compaction_reservations.h states the rule
// and why the MVCC GC stays correct under it). A full compaction runs alone.
#pragma once

#include <optional>
#include <set>
#include <vector>

#include "common/result.h"
#include "storage/commit_budget.h"
#include "storage/level_sizing.h"
#include "storage/version.h"

namespace cairn {

class CompactionReservations;

struct Compaction {
  int level = 0;         // where the first inputs come from
  int output_level = 1;  // level + 1, or level itself for a full compaction's bottom pass
  std::vector<SstRef> inputs;
  // Every input is of `level` and overlaps nothing at output_level = level + 1 (nor, at
  // L0, any other input): the inputs move down as they are.
  bool trivial_move = false;
};

class CompactionPicker {
 public:
  CompactionPicker(const LevelSizing& sizing, uint64_t target_sst_bytes, CommitBudget budget)
      : sizing_(sizing), target_bytes_(target_sst_bytes), budget_(budget) {}

  // Background: a compaction out of the level with the highest score >= 1, or nothing.
  // L1.. pick the SST whose overlap below is smallest relative to its size.
  // FailedPrecondition when some level needs compacting but not even one SST of it fits
  // one commit together with what it overlaps. With `running`, only what it admits:
  // nothing when every due compaction overlaps a running one.
  Result<std::optional<Compaction>> PickAuto(const Version& v,
                                             const CompactionReservations* running = nullptr) const;

  // One step of a full compaction that moves every SST to the bottom (the deepest
  // non-empty level, at least L1) and rewrites the bottom SSTs not in `rewritten` once:
  // L0 first, then each level top down; nothing when done.
  Result<std::optional<Compaction>> PickFull(const Version& v,
                                             const std::set<uint64_t>& rewritten) const;

 private:
  // The oldest L0 SSTs, as many as fit (and `running` admits), and the L1 SSTs they
  // overlap; a trivial move of the oldest ones when they overlap neither L1, nor each
  // other, nor a newer L0 SST. Nothing when `running` admits not even the oldest.
  Result<std::optional<Compaction>> PickLevel0(const Version& v,
                                               const CompactionReservations* running) const;
  std::optional<Compaction> MoveLevel0(const Version& v,
                                       const CompactionReservations* running) const;
  // SSTs of `level` >= 1 starting at `files[first]`, extended to the right while the
  // delta fits, plus what they overlap in level + 1 (a trivial move, extended while it
  // stays one, when files[first] overlaps nothing there).
  Result<Compaction> PickRun(const Version& v, int level, const std::vector<SstRef>& files,
                             size_t first) const;
  // The one SST of `level` >= 1 with the smallest overlap ratio that fits and `running`
  // admits (a trivial move when some SST overlaps nothing below).
  Result<std::optional<Compaction>> PickByOverlap(const Version& v, int level,
                                                  const CompactionReservations* running) const;
  Status TooLarge(const SstMeta& f, int level, size_t overlapping) const;
  // The estimated commit of `c` (a move's or a merge's).
  CommitCost Cost(const Compaction& c) const;

  LevelSizing sizing_;
  uint64_t target_bytes_;
  CommitBudget budget_;
};

}  // namespace cairn
