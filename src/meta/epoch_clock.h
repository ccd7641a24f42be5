// EpochClock: the one source of changelog epochs of a MetaWriter (docs/pitr.md, "What
// is recoverable"). It keeps the epochs of changelog records non-decreasing in seq, so
// that "replay the records with epoch <= T" is always a prefix of the changelog, and it
// detects a wall clock that is behind the epochs already issued (an NTP step back).
//
// Two kinds of epochs:
//   - a *reservation* (Reserve) is taken when a change is made whose record is committed
//     later: the open memtable (its writes carry the epoch in their SST keys, the
//     checkpoint commits them) and a DDL (reserved at the DDL's time, committed after
//     the checkpoint that precedes it). Reservations are strictly increasing and at
//     least the wall clock's epoch.
//   - a *stamp* (Stamp) is the epoch of a record being committed now: the requested
//     epoch, or for requested 0 the wall clock's epoch, but never below the last stamp
//     and, while reservations are open, never above the oldest of them (a record
//     sequenced before the reserved one must not carry a later epoch).
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>

#include "common/clock.h"

namespace cairn {

// A wall clock behind the last issued epoch by more than this is a clock step.
inline constexpr int64_t kClockStepToleranceMs = 100;

struct EpochClockStats {
  int64_t clock_behind_ms = 0;  // last issued epoch's ms - wall clock, when > tolerance
  uint64_t clock_steps = 0;     // times the clock was found behind (not-behind -> behind)
};

class EpochClock {
 public:
  explicit EpochClock(Clock* clock) : clock_(clock) {}

  // A fresh epoch: above every epoch issued so far and at least the wall clock's. It
  // stays open (bounding Stamp) until Release.
  uint64_t Reserve();
  // Closes a reservation; no-op when `epoch` is not open.
  void Release(uint64_t epoch);
  // The epoch of the record about to be committed (callers serialise commits):
  // max(last stamp, requested) for requested != 0, else the wall clock's epoch clamped
  // to [last stamp, oldest open reservation]. Becomes the new last stamp.
  uint64_t Stamp(uint64_t requested);
  // Epochs already used by committed state (loaded at open, another writer's commits):
  // later reservations are above it and later stamps at least it.
  void Raise(uint64_t epoch);

  // The largest epoch reserved, stamped or raised so far.
  uint64_t last_issued();
  // Compares the wall clock with the last issued epoch now.
  EpochClockStats stats();

 private:
  // Reads the clock and updates the step detection (mu_ held). Returns the clock's ms.
  int64_t ObserveLocked();

  Clock* const clock_;
  std::mutex mu_;
  uint64_t last_issued_ = 0;
  uint64_t last_stamp_ = 0;
  std::set<uint64_t> open_;  // open reservations
  EpochClockStats stats_;
  bool behind_ = false;
  std::chrono::steady_clock::time_point last_warning_{};
};

}  // namespace cairn
