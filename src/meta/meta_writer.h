// MetaWriter: the one transaction path for every metadata mutation (design.md §4).
// Each Commit appends a changelog record carrying the txn's ops to the same meta-store
// transaction, so the changelog can never miss a change of any category.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/clock.h"
#include "common/result.h"
#include "meta/changelog.h"
#include "meta/epoch_clock.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct CommitInfo {
  int64_t revision = 0;  // meta-store revision of the commit
  uint64_t seq = 0;      // changelog seq of the commit (0 if nothing was written)
  uint64_t epoch = 0;    // changelog epoch of the commit
};

// Called by Commit with the commit's changelog epoch before the txn is sent, to add
// ops whose values carry it (a table's created/dropped epoch, a stale epoch).
using EpochOps = std::function<void(uint64_t epoch, Txn* txn)>;

class MetaWriter {
 public:
  MetaWriter(MetaStore* store, Clock* clock);

  // Loads the changelog head (and its epoch). Must be called before Commit.
  Status Open();

  // Installs the fence every write asks first (the server's writer lease check):
  // while it returns an error, Commit and AllocateIds return that error before
  // touching the store. Call before the MetaWriter is shared; nullptr = no fence.
  void SetFence(std::function<Status()> fence) { fence_ = std::move(fence); }
  // Installs the admission check for new work (the server's changelog backlog limit):
  // CheckFence asks it after the fence; Commit does not, so work already admitted and
  // the engine's own commits (checkpoints, compactions) still complete.
  void SetAdmission(std::function<Status()> admission) { admission_ = std::move(admission); }
  // The fence's verdict, then the admission check's (OK without them): asked before new
  // work (mutating RPCs) and by writes outside a meta commit that must stop with the
  // lease too (vacuum's object deletes).
  Status CheckFence() const {
    CAIRN_RETURN_IF_ERROR(CheckLeaseFence());
    return admission_ ? admission_() : Status::OK();
  }

  // Commits `txn` plus its changelog record atomically. The record's epoch is
  // epochs().Stamp(epoch): `epoch` (an open reservation) or, for 0, the clock's epoch
  // bounded by the open reservations; never below an earlier record's. A successful
  // commit releases the reservation `epoch`. `with_epoch`, when set, adds ops carrying
  // the epoch. Conflict when one of the txn's compares fails or another writer
  // advanced the changelog.
  Result<CommitInfo> Commit(Txn txn, uint64_t epoch = 0, const EpochOps& with_epoch = nullptr);

  // Allocates `count` ids from generator `name` (ids/<name>) in one committed txn;
  // returns the first. Ids are never reused.
  Result<uint64_t> AllocateIds(std::string_view name, uint64_t count = 1);

  // Benchmarks only: commit without the changelog record, to measure its cost.
  void DisableChangelogForBenchmark() { changelog_enabled_ = false; }

  // How large a caller's txn may be for it plus its changelog record (which repeats
  // its ops, plus two ops of its own) to fit the store's BulkTxnLimits: writers that
  // split bulk work into several commits size each one by this.
  MetaStore::TxnLimits CallerTxnLimits() const;

  MetaStore* store() const { return store_; }
  Clock* clock() const { return clock_; }
  // The epochs of this writer's changelog (reservations for the storage engine).
  EpochClock& epochs() { return epochs_; }
  // Lock-free (a fence may ask it while a commit holds the writer).
  uint64_t last_seq() const { return last_seq_.load(); }

 private:
  Result<CommitInfo> CommitLocked(Txn txn, uint64_t epoch, const EpochOps& with_epoch);
  // Reads meta/changelog_seq and the epoch of that record (when not trimmed) (mu_ held).
  Status LoadHeadLocked();

  MetaStore* const store_;
  Clock* const clock_;
  EpochClock epochs_;
  std::mutex mu_;
  std::atomic<uint64_t> last_seq_{0};  // written with mu_ held
  bool changelog_enabled_ = true;
  Status CheckLeaseFence() const { return fence_ ? fence_() : Status::OK(); }

  std::function<Status()> fence_;
  std::function<Status()> admission_;
};

}  // namespace cairn
