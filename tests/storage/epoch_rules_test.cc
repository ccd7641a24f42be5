// The epoch rules (docs/storage.md "Epochs", docs/pitr.md "What is recoverable"): a DDL
// runs at its own epoch after checkpointing the writes before it, changelog epochs never
// decrease in seq and a checkpoint's record carries its data's epoch, stale epochs are
// never older than the compaction, retention arithmetic saturates, and a clock stepped
// back is detected while epochs stay monotonic.
#include <gtest/gtest.h>

#include "common/epoch.h"
#include "common/random.h"
#include "meta/changelog.h"
#include "meta/params.h"
#include "meta/users.h"
#include "storage/storage_test_env.h"

namespace cairn {
namespace {

using testing::ScanAll;
using testing::StorageEnv;
using Rows = std::map<std::string, std::string>;

constexpr int64_t kHourMs = 3'600'000;

class EpochRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.options.pitr_retention_ms = kHourMs;
    ASSERT_TRUE(env_.Open().ok());
    base_ms_ = env_.clock.NowMillis();
  }
  Cluster* c() { return env_.cluster.get(); }

  uint64_t Put(uint32_t table, const std::string& k, const std::string& v, bool wait) {
    WriteBatch b;
    b.Put(table, k, v);
    auto e = c()->Write(b, wait);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : 0;
  }
  std::optional<std::string> GetAsOf(uint32_t table, const std::string& k, uint64_t as_of) {
    ReadOptions ro;
    ro.as_of_epoch = as_of;
    auto v = c()->Get(table, k, ro);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }
  std::vector<ChangelogRecord> Changelog() {
    std::vector<ChangelogRecord> out;
    auto kvs =
        env_.meta()->Range(keys::kChangelogPrefix, PrefixEnd(keys::kChangelogPrefix), 1 << 20);
    EXPECT_TRUE(kvs.ok());
    for (const auto& kv : *kvs) out.push_back(*DecodeChangelogRecord(kv.value));
    return out;
  }

  StorageEnv env_;
  int64_t base_ms_ = 0;
};

// design.md §0: writes from .050 and a mistaken drop at .700 in one checkpoint interval.
TEST_F(EpochRulesTest, DropInTheSameIntervalKeepsTheWritesBeforeItAtTheirTime) {
  auto t = c()->CreateTable("t");
  ASSERT_TRUE(t.ok());
  env_.clock.Set(base_ms_ + 50);
  Put(t->id, "a", "1", /*wait=*/false);
  env_.clock.Set(base_ms_ + 300);
  Put(t->id, "b", "2", /*wait=*/false);
  env_.clock.Set(base_ms_ + 700);
  ASSERT_TRUE(c()->DropTable("t").ok());

  ReadOptions before;
  before.as_of_epoch = MaxEpochAtMillis(base_ms_ + 699);
  auto tables = c()->ListTables(before);
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 1u);
  EXPECT_EQ(EpochToMillis((*tables)[0].dropped_epoch), base_ms_ + 700);
  EXPECT_EQ(*ScanAll(c(), t->id, before.as_of_epoch), (Rows{{"a", "1"}, {"b", "2"}}));

  uint64_t at_drop = MaxEpochAtMillis(base_ms_ + 700);
  EXPECT_TRUE(c()->ListTables({at_drop})->empty());
  EXPECT_TRUE(ScanAll(c(), t->id, at_drop).status().IsNotFound());
  // The drop's epoch is committed; a later write gets a newer epoch.
  EXPECT_EQ(c()->committed_epoch(), (*tables)[0].dropped_epoch);
  auto u = c()->CreateTable("u");
  ASSERT_TRUE(u.ok());
  EXPECT_GT(u->created_epoch, (*tables)[0].dropped_epoch);
  EXPECT_GT(Put(u->id, "k", "v", /*wait=*/false), u->created_epoch);
}

// Epoch-0 commits (users, params, id allocations, vacuum) made while writes are pending
// are never stamped later than the checkpoint that follows them.
TEST_F(EpochRulesTest, ChangelogEpochsNeverDecreaseAndCheckpointsCarryTheirDataEpoch) {
  auto t = c()->CreateTable("t");
  ASSERT_TRUE(t.ok());
  Random rnd(42);
  Users users(env_.writer(), /*iterations=*/1000);
  SystemParams params(env_.writer());
  for (int i = 0; i < 300; ++i) {
    env_.clock.Advance(rnd.Uniform(200));
    uint64_t dice = rnd.Uniform(100);
    if (dice < 50) {
      Put(t->id, "k" + std::to_string(rnd.Uniform(30)), std::to_string(i), /*wait=*/false);
    } else if (dice < 60) {
      ASSERT_TRUE(users.Create("u" + std::to_string(i), "pw").ok());
    } else if (dice < 70) {
      ASSERT_TRUE(params.Set("checkpoint_interval", std::to_string(1 + i % 9) + "s").ok());
    } else if (dice < 85) {
      ASSERT_TRUE(c()->Flush().ok());
    } else if (dice < 92) {
      ASSERT_TRUE(c()->Compact().ok());
    } else {
      ASSERT_TRUE(c()->Vacuum({}).ok());
    }
  }
  ASSERT_TRUE(c()->Flush().ok());
  uint64_t last = 0;
  size_t checkpoints = 0;
  for (const auto& record : Changelog()) {
    EXPECT_GE(record.epoch, last) << "seq " << record.seq;
    last = record.epoch;
    for (const auto& op : record.ops) {
      if (op.kind != Op::Kind::kPut || !op.key.starts_with(keys::kStorageSstPrefix)) continue;
      auto sst = DecodeSstMeta(op.value);
      ASSERT_TRUE(sst.ok());
      if (sst->level != 0) continue;
      checkpoints++;
      EXPECT_EQ(sst->max_epoch, record.epoch) << "seq " << record.seq;
    }
  }
  EXPECT_GT(checkpoints, 20u);
}

// On an idle cluster the committed epoch is old; the inputs of a compaction must stay
// for the retention window counted from the compaction.
TEST_F(EpochRulesTest, StaleEpochOfCompactionInputsIsTheEpochOfNow) {
  env_.options.pitr_retention_ms = 10'000;
  ASSERT_TRUE(env_.Reopen().ok());
  auto t = c()->CreateTable("t");
  ASSERT_TRUE(t.ok());
  Put(t->id, "a", "1", /*wait=*/true);
  Put(t->id, "b", "2", /*wait=*/true);
  env_.clock.Advance(kHourMs);
  uint64_t now = EpochFromMillis(env_.clock.NowMillis());
  ASSERT_TRUE(c()->Compact().ok());
  auto stale =
      env_.meta()->Range(keys::kStorageStalePrefix, PrefixEnd(keys::kStorageStalePrefix), 100);
  ASSERT_TRUE(stale.ok());
  ASSERT_EQ(stale->size(), 2u);
  for (const auto& kv : *stale) EXPECT_GE(std::stoull(kv.value), now) << kv.key;
  auto report = c()->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 0u);
  EXPECT_EQ(report->kept_by_gate, 2u);
}

// A retention longer than the time since the Unix epoch keeps everything (it used to
// wrap the watermark and drop all history).
TEST_F(EpochRulesTest, HugeRetentionKeepsAllHistory) {
  env_.options.pitr_retention_ms = 36500 * 24 * kHourMs;
  ASSERT_TRUE(env_.Reopen().ok());
  auto t = c()->CreateTable("t");
  ASSERT_TRUE(t.ok());
  uint64_t e1 = Put(t->id, "k", "v1", /*wait=*/true);
  env_.clock.Advance(1000);
  uint64_t e2 = Put(t->id, "k", "v2", /*wait=*/true);
  env_.clock.Advance(1000);
  ASSERT_TRUE(c()->Compact().ok());
  EXPECT_EQ(GetAsOf(t->id, "k", e1), "v1");
  EXPECT_EQ(GetAsOf(t->id, "k", e2), "v2");
  EXPECT_EQ(ScanAll(c(), t->id, e1)->at("k"), "v1");
  auto report = c()->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 0u);
}

TEST_F(EpochRulesTest, ClockSteppedBackAndForwardKeepsEpochsMonotonicAndIsReported) {
  auto t = c()->CreateTable("t");
  ASSERT_TRUE(t.ok());
  uint64_t e1 = Put(t->id, "k", "v1", /*wait=*/true);
  EXPECT_EQ(c()->Stats().clock_behind_ms, 0);
  EXPECT_EQ(c()->Stats().clock_steps, 0u);

  const int64_t ahead_ms = env_.clock.NowMillis();
  env_.clock.Set(ahead_ms - 600'000);  // NTP steps the clock back 10 minutes
  uint64_t e2 = Put(t->id, "k", "v2", /*wait=*/true);
  auto u = c()->CreateTable("u");
  ASSERT_TRUE(u.ok());
  uint64_t e3 = Put(t->id, "k", "v3", /*wait=*/true);
  EXPECT_GT(e2, e1);
  EXPECT_GT(u->created_epoch, e2);
  EXPECT_GT(e3, u->created_epoch);
  ClusterStats stats = c()->Stats();
  EXPECT_GE(stats.clock_behind_ms, 600'000 - 10);
  EXPECT_EQ(stats.clock_steps, 1u);
  // Committed epochs still name their state.
  EXPECT_EQ(GetAsOf(t->id, "k", e1), "v1");
  EXPECT_EQ(GetAsOf(t->id, "k", e2), "v2");
  EXPECT_EQ(GetAsOf(t->id, "k", e3), "v3");

  env_.clock.Set(ahead_ms + 1000);  // caught up
  EXPECT_EQ(c()->Stats().clock_behind_ms, 0);
  uint64_t e4 = Put(t->id, "k", "v4", /*wait=*/true);
  EXPECT_GT(e4, e3);
  EXPECT_GE(EpochToMillis(e4), ahead_ms + 1000);
  env_.clock.Set(ahead_ms - 5000);  // a second step
  EXPECT_EQ(c()->Stats().clock_steps, 2u);
  EXPECT_EQ(GetAsOf(t->id, "k", e3), "v3");
  EXPECT_EQ(GetAsOf(t->id, "k", e4), "v4");
}

}  // namespace
}  // namespace cairn
