// Concurrent compactions (docs/storage.md, "Concurrent compactions"): while one is
// blocked in its upload, a compaction of a disjoint key range commits; a failed one
// frees its reservation; many compactions racing each other and checkpoints keep the
// data and the history inside the retention window exact.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/random.h"
#include "object_store/fault_object_store.h"
#include "storage/history_model.h"
#include "storage/storage_test_env.h"
#include "testing/forwarding_object_store.h"

namespace cairn {
namespace {

using testing::ExpectReadsMatch;
using testing::History;
using testing::ScanAll;
using testing::StorageEnv;

// Forwards to `base`; once armed, the next NewWriter of an SST blocks until Open().
class LatchedObjectStore final : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  using ObjectStore::NewWriter;

  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  void WaitBlocked() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return blocked_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view k, WriteMode m) override {
    uint64_t id = 0;
    if (ParseSstObjectKey(k, &id)) {
      std::unique_lock lock(mu_);
      if (std::exchange(armed_, false)) {
        blocked_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return open_; });
      }
    }
    return base()->NewWriter(k, m);
  }
  std::string DescribeForLog() const override { return "latched+" + base()->DescribeForLog(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool blocked_ = false;
  bool open_ = false;
};

std::string Key(char range, int i) { return std::string(1, range) + std::to_string(1000 + i); }

// Two key ranges, "a..." and "z...", each one SST at L2 (the last level of three), then
// rewritten once more into two L0 SSTs: compacting them needs two disjoint L1 -> L2
// merges (after a trivial move of both to L1).
class ConcurrentCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.options.num_levels = 3;
    env_.options.level0_compaction_trigger = 1;
    env_.options.max_bytes_for_level_base = 1;  // L1 is due whenever it holds anything
  }

  void Load(const std::string& value) {
    for (char range : {'a', 'z'}) {
      WriteBatch b;
      for (int i = 0; i < 50; ++i) b.Put(table_, Key(range, i), value + range);
      ASSERT_TRUE(env_.cluster->Write(b).ok());  // checkpoints: one L0 SST per range
    }
  }

  // Opens the cluster on `objects` (a wrapper of env_'s store, from Wrap).
  void SetUpRanges(ObjectStore* objects) {
    ASSERT_TRUE(env_.Open(nullptr, objects).ok());
    table_ = env_.cluster->CreateTable("t")->id;
    Load("old-");
    ASSERT_TRUE(env_.cluster->CompactPending().ok());
    ClusterStats stats = env_.cluster->Stats();
    ASSERT_EQ(stats.levels[2].sst_count, 2u);
    ASSERT_EQ(stats.levels[0].sst_count + stats.levels[1].sst_count, 0u);
    Load("new-");
    ASSERT_EQ(env_.cluster->Stats().levels[0].sst_count, 2u);
  }

  void ExpectValues(const std::string& value) {
    std::map<std::string, std::string> want;
    for (char range : {'a', 'z'}) {
      for (int i = 0; i < 50; ++i) want[Key(range, i)] = value + range;
    }
    auto rows = ScanAll(env_.cluster.get(), table_);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, want);
  }

  // Before env_: destroyed after the cluster that uses them.
  std::unique_ptr<LatchedObjectStore> latched_;
  std::unique_ptr<FaultInjectingObjectStore> faulty_;
  StorageEnv env_;
  uint32_t table_ = 0;
};

TEST_F(ConcurrentCompactionTest, DisjointCompactionCommitsWhileAnotherIsBlocked) {
  ASSERT_TRUE(env_.Open().ok());
  latched_ = std::make_unique<LatchedObjectStore>(env_.objects());
  LatchedObjectStore& latched = *latched_;
  SetUpRanges(&latched);
  uint64_t compactions = env_.cluster->Stats().compactions;

  latched.Arm();
  Status blocked_result;
  std::thread blocked([&] { blocked_result = env_.cluster->CompactPending(); });
  latched.WaitBlocked();  // moved both L0 SSTs to L1, then blocked in one merge
  ClusterStats stats = env_.cluster->Stats();
  EXPECT_EQ(stats.compactions_running, 1u);
  EXPECT_EQ(stats.levels[1].sst_count, 2u);

  // The other range's merge runs and commits; the blocked range is not picked again.
  ASSERT_TRUE(env_.cluster->CompactPending().ok());
  stats = env_.cluster->Stats();
  EXPECT_EQ(stats.compactions, compactions + 2) << "the move and the disjoint merge";
  EXPECT_EQ(stats.levels[1].sst_count, 1u) << "only the blocked compaction's input is left";
  EXPECT_EQ(stats.levels[2].sst_count, 2u);
  EXPECT_EQ(stats.compactions_running, 1u);
  ExpectValues("new-");

  latched.Open();
  blocked.join();
  ASSERT_TRUE(blocked_result.ok()) << blocked_result.ToString();
  stats = env_.cluster->Stats();
  EXPECT_EQ(stats.compactions, compactions + 3);
  EXPECT_EQ(stats.compactions_running, 0u);
  EXPECT_EQ(stats.levels[1].sst_count, 0u);
  EXPECT_EQ(stats.levels[2].sst_count, 2u);
  ExpectValues("new-");
  ASSERT_TRUE(env_.Reopen().ok());
  ExpectValues("new-");
}

TEST_F(ConcurrentCompactionTest, FullCompactionWaitsForTheRunningOnes) {
  ASSERT_TRUE(env_.Open().ok());
  latched_ = std::make_unique<LatchedObjectStore>(env_.objects());
  LatchedObjectStore& latched = *latched_;
  SetUpRanges(&latched);
  latched.Arm();
  Status pending;
  std::thread blocked([&] { pending = env_.cluster->CompactPending(); });
  latched.WaitBlocked();
  Status full;
  std::thread compact([&] { full = env_.cluster->Compact(); });
  latched.Open();
  blocked.join();
  compact.join();
  ASSERT_TRUE(pending.ok()) << pending.ToString();
  ASSERT_TRUE(full.ok()) << full.ToString();
  ClusterStats stats = env_.cluster->Stats();
  EXPECT_EQ(stats.compactions_running, 0u);
  EXPECT_EQ(stats.levels[0].sst_count + stats.levels[1].sst_count, 0u);
  ExpectValues("new-");
  // Background picks resume after it.
  Load("newer-");
  ASSERT_TRUE(env_.cluster->CompactPending().ok());
  EXPECT_EQ(env_.cluster->Stats().levels[1].sst_count, 0u);
  ExpectValues("newer-");
}

TEST_F(ConcurrentCompactionTest, FailedCompactionReleasesItsReservation) {
  ASSERT_TRUE(env_.Open().ok());
  faulty_ = std::make_unique<FaultInjectingObjectStore>(env_.objects(), /*seed=*/1);
  FaultInjectingObjectStore& faulty = *faulty_;
  SetUpRanges(&faulty);
  faulty.SetFaultyOps({ObjectOp::kNewWriter});
  faulty.FailNext(1);  // the first merge's first output
  Status failed = env_.cluster->CompactPending();
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(env_.cluster->Stats().compactions_running, 0u);
  ASSERT_EQ(env_.cluster->Stats().levels[1].sst_count, 2u);
  // Its inputs are free again: the next attempt takes them and everything reaches L2.
  ASSERT_TRUE(env_.cluster->CompactPending().ok());
  ClusterStats stats = env_.cluster->Stats();
  EXPECT_EQ(stats.levels[1].sst_count, 0u);
  EXPECT_EQ(stats.levels[2].sst_count, 2u);
  ExpectValues("new-");
}

TEST(ConcurrentCompactionModelTest, RacingCompactionsKeepDataAndHistoryExact) {
  StorageEnv env;
  env.options.target_sst_bytes = 4 << 10;
  env.options.max_bytes_for_level_base = 16 << 10;
  env.options.level_size_multiplier = 3;
  env.options.level0_compaction_trigger = 2;
  env.options.pitr_retention_ms = 20 * 1000;
  ASSERT_TRUE(env.Open().ok());
  uint32_t t = env.cluster->CreateTable("t")->id;

  // Three compactors run CompactPending after every checkpoint, racing each other and
  // the next round's writes and checkpoint.
  std::mutex mu;
  std::condition_variable cv;
  int round = 0;
  bool stop = false;
  std::vector<Status> failures;
  std::vector<std::thread> compactors;
  for (int i = 0; i < 3; ++i) {
    compactors.emplace_back([&] {
      int seen = 0;
      for (;;) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return stop || round > seen; });
          if (stop) return;
          seen = round;
        }
        Status s = env.cluster->CompactPending();
        std::lock_guard lock(mu);
        if (!s.ok()) failures.push_back(s);
      }
    });
  }
  History history;
  std::vector<uint64_t> epochs;
  Random rnd(7);
  for (int r = 0; r < 80; ++r) {
    WriteBatch b;
    std::map<std::string, std::optional<std::string>> batch;
    for (int i = 0; i < 60; ++i) {
      std::string k = "key" + std::to_string(rnd.Uniform(600));
      if (rnd.Uniform(4) == 0) {
        b.Delete(t, k);
        batch[k] = std::nullopt;
      } else {
        std::string v = std::to_string(r) + ":" + rnd.Bytes(40);
        b.Put(t, k, v);
        batch[k] = v;
      }
    }
    auto e = env.cluster->Write(b);  // checkpoints (no background threads)
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    for (auto& [k, v] : batch) history[k][*e] = v;
    epochs.push_back(*e);
    env.clock.Advance(500);  // the oldest rounds leave the 20 s window
    {
      std::lock_guard lock(mu);
      ++round;
    }
    cv.notify_all();
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  for (std::thread& c : compactors) c.join();
  for (const Status& s : failures) ADD_FAILURE() << s.ToString();
  ASSERT_TRUE(env.cluster->CompactPending().ok());
  ClusterStats stats = env.cluster->Stats();
  EXPECT_EQ(stats.compactions_running, 0u);

  auto expect_reads_at = [&](uint64_t epoch) {
    ExpectReadsMatch(env.cluster.get(), t, history, epoch);
  };
  uint64_t oldest = env.cluster->oldest_as_of_epoch();
  int checked = 0;
  for (size_t i = 0; i < epochs.size(); i += 4) {
    if (epochs[i] < oldest) continue;
    expect_reads_at(epochs[i]);
    ++checked;
  }
  EXPECT_GE(checked, 5) << "the window should cover the last rounds";
  expect_reads_at(epochs.back());
  ASSERT_TRUE(env.cluster->Compact().ok());
  expect_reads_at(epochs.back());
  ASSERT_TRUE(env.Reopen().ok());
  expect_reads_at(epochs.back());
}

}  // namespace
}  // namespace cairn
