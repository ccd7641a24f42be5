// EpochClock and the MetaWriter's changelog epochs: reservations bound the stamps of
// commits sequenced before them, stamps never decrease in seq (also across a reopen
// and a clock stepped back), and a clock behind the epochs is counted.
#include "meta/epoch_clock.h"

#include <gtest/gtest.h>

#include "common/epoch.h"
#include "meta/meta_test_util.h"

namespace cairn {
namespace {

class EpochClockTest : public testing::MetaFixture {
 protected:
  // Commits one put with epoch-0 stamping; returns the record's epoch.
  uint64_t CommitAt(uint64_t epoch = 0) {
    Txn txn;
    txn.ops.push_back(Op::Put(keys::ParamKey("x"), std::to_string(++n_)));
    auto info = writer_->Commit(std::move(txn), epoch);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->epoch : 0;
  }
  std::vector<uint64_t> RecordEpochs() {
    std::vector<uint64_t> out;
    auto kvs = store_->Range(keys::kChangelogPrefix, PrefixEnd(keys::kChangelogPrefix), 1 << 20);
    EXPECT_TRUE(kvs.ok());
    for (const auto& kv : *kvs) out.push_back(DecodeChangelogRecord(kv.value)->epoch);
    return out;
  }
  int n_ = 0;
};

TEST_F(EpochClockTest, ReservationsIncreaseAndBoundTheStampsOfEarlierCommits) {
  EpochClock& epochs = writer_->epochs();
  uint64_t memtable = epochs.Reserve();
  EXPECT_EQ(memtable, EpochFromMillis(clock_.NowMillis()));
  EXPECT_GT(epochs.Reserve(), memtable);  // same millisecond: next sequence
  clock_.Advance(500);
  // A user or param change while the memtable is open: stamped no later than it, so
  // the memtable's checkpoint after it does not go back in time.
  EXPECT_EQ(CommitAt(), memtable);
  EXPECT_EQ(CommitAt(memtable), memtable);  // the checkpoint; releases the reservation
  epochs.Release(memtable + 1);
  EXPECT_EQ(CommitAt(), EpochFromMillis(clock_.NowMillis()));
}

TEST_F(EpochClockTest, RecordEpochsNeverDecreaseInSeq) {
  clock_.Advance(1000);
  uint64_t late = CommitAt();
  EXPECT_EQ(CommitAt(late - 5000), late);  // a stale request is raised, not recorded lower
  clock_.Advance(-60'000);                 // clock stepped back
  EXPECT_EQ(CommitAt(), late);
  auto epochs = RecordEpochs();
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_TRUE(std::is_sorted(epochs.begin(), epochs.end()));
}

TEST_F(EpochClockTest, ReopenedWriterContinuesAboveTheHeadRecord) {
  clock_.Advance(10'000);
  uint64_t head = CommitAt();
  clock_.Advance(-10'000);
  MetaWriter reopened(store_.get(), &clock_);
  ASSERT_TRUE(reopened.Open().ok());
  EXPECT_GT(reopened.epochs().Reserve(), head);
  Txn txn;
  txn.ops.push_back(Op::Put(keys::ParamKey("y"), "1"));
  auto info = reopened.Commit(std::move(txn));
  ASSERT_TRUE(info.ok());
  EXPECT_GE(info->epoch, head);
}

TEST_F(EpochClockTest, EpochOpsSeeTheRecordEpoch) {
  uint64_t seen = 0;
  Txn txn;
  txn.ops.push_back(Op::Put(keys::ParamKey("a"), "1"));
  auto info = writer_->Commit(std::move(txn), 0, [&](uint64_t epoch, Txn* t) {
    seen = epoch;
    t->ops.push_back(Op::Put(keys::ParamKey("b"), std::to_string(epoch)));
  });
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(seen, info->epoch);
  EXPECT_EQ(Dump()[keys::ParamKey("b")], std::to_string(info->epoch));
}

TEST_F(EpochClockTest, ClockStepsAreCountedOnceAndClearWhenTheClockCatchesUp) {
  EpochClock& epochs = writer_->epochs();
  uint64_t first = epochs.Reserve();
  EXPECT_EQ(epochs.stats().clock_behind_ms, 0);
  clock_.Advance(-kClockStepToleranceMs);  // within tolerance: not a step
  EXPECT_EQ(epochs.stats().clock_steps, 0u);
  clock_.Advance(-30'000 + kClockStepToleranceMs);
  uint64_t second = epochs.Reserve();
  EXPECT_GT(second, first);
  EpochClockStats stats = epochs.stats();
  EXPECT_EQ(stats.clock_behind_ms, 30'000);
  EXPECT_EQ(stats.clock_steps, 1u);
  EXPECT_GT(epochs.Reserve(), second);
  EXPECT_EQ(epochs.stats().clock_steps, 1u);  // still the same step
  clock_.Advance(30'001);
  EXPECT_EQ(epochs.stats().clock_behind_ms, 0);
  clock_.Advance(-10'000);
  EXPECT_EQ(epochs.stats().clock_steps, 2u);
}

}  // namespace
}  // namespace cairn
