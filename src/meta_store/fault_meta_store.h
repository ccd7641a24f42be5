// FaultMetaStore: wraps any MetaStore and injects failures, for crash and retry tests.
// Random faults draw from a seeded cairn::Random, so a failing run replays from its
// seed; scripted faults (FailNext, CrashAfter) make a test hit an exact commit.
//
// Fault kinds:
// - before apply: Commit returns IOError and nothing is written;
// - after apply: the commit is applied, but the caller gets Unavailable (a lost ack);
// - snapshot read: Snapshot() or a read through a snapshot returns IOError;
// - compacted: a read through a snapshot after its first returns Aborted, as etcd does
//   once compaction removed the snapshot's revision (the caller may retry at a newer one);
// - crash: from the crash point on, every call returns IOError, as if the process died.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "common/random.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct FaultOptions {
  uint64_t seed = 0;
  uint32_t fail_before_apply_percent = 0;
  uint32_t fail_after_apply_percent = 0;
  uint32_t fail_snapshot_read_percent = 0;
  uint32_t compacted_read_percent = 0;
};

enum class FaultKind { kBeforeApply, kAfterApply };

// Counters, for tests that assert how many operations ran or failed.
struct FaultCounters {
  int64_t commit_calls = 0;     // every Commit() call
  int64_t commits_applied = 0;  // commits that reached the wrapped store and succeeded
  int64_t snapshot_reads = 0;   // Snapshot() calls and reads through snapshots
  int64_t injected = 0;         // faults injected (including calls refused after a crash)
  int64_t compacted = 0;        // of those, reads refused as compacted
};

class FaultMetaStore final : public MetaStore {
 public:
  FaultMetaStore(std::unique_ptr<MetaStore> base, const FaultOptions& options);
  ~FaultMetaStore() override;

  // The next `n` commits fail with `kind`, before any random fault is considered.
  void FailNext(int n, FaultKind kind = FaultKind::kBeforeApply);
  // Lets `commits` more commits through; the one after fails with `kind` and the
  // store is crashed from then on.
  void CrashAfter(int64_t commits, FaultKind kind = FaultKind::kBeforeApply);
  // Crashes now.
  void Crash();
  bool crashed() const;
  FaultCounters counters() const;

  MetaStore* base() const { return base_.get(); }

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return "fault+" + base_->DescribeForLog(); }

  struct State;  // shared with the snapshots this store hands out

 private:
  std::unique_ptr<MetaStore> base_;
  std::shared_ptr<State> state_;
};

}  // namespace cairn
