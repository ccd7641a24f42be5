// A trivial move (compaction that only changes SSTs' levels) is a changelog record like
// any other version delta: a backup taken after it and a restore to any point before
// or after it see every SST at the level it had then, and vacuum never deletes a moved
// SST (it is not stale).
#include <gtest/gtest.h>

#include "common/epoch.h"
#include "meta/keys.h"
#include "pitr/pitr_fixture.h"
#include "storage/storage_codec.h"

namespace cairn::pitr_test {
namespace {

std::map<uint64_t, int> SstLevels(MetaStore* meta) {
  std::map<uint64_t, int> levels;
  auto kvs = meta->Range(keys::kStorageSstPrefix, PrefixEnd(keys::kStorageSstPrefix), 100000);
  EXPECT_TRUE(kvs.ok());
  for (const auto& kv : *kvs) {
    auto m = DecodeSstMeta(kv.value);
    EXPECT_TRUE(m.ok());
    levels[m->object_id] = m->level;
  }
  return levels;
}

class TrivialMoveTest : public PitrFixture {};

TEST_F(TrivialMoveTest, RestoresBeforeAndAfterAMoveSeeTheSstsAtTheirLevels) {
  ASSERT_TRUE(service_->Create("initial").ok());
  ASSERT_TRUE(source_.cluster->CreateTable("t").ok());
  ModelState model;
  model.tables["t"];
  // As many checkpoints of disjoint key ranges as the default L0 trigger: that many L0
  // SSTs overlapping nothing.
  const int ssts = static_cast<int>(ClusterOptions{}.level0_compaction_trigger);
  for (int round = 0; round < ssts; ++round) {
    clock_.Advance(1000);
    Rows rows;
    for (int i = 0; i < 20; ++i) {
      rows["k" + std::to_string(100 + round) + "-" + std::to_string(10 + i)] =
          "v" + std::to_string(i);
    }
    ASSERT_TRUE(WriteRows("t", rows, {}).ok());
    model.tables["t"].insert(rows.begin(), rows.end());
  }
  std::map<uint64_t, int> before = SstLevels(source_.meta.get());
  ASSERT_EQ(before.size(), static_cast<size_t>(ssts));
  for (const auto& [id, level] : before) EXPECT_EQ(level, 0);
  clock_.Advance(1000);
  uint64_t before_move = MaxEpochAtMillis(clock_.NowMillis());

  clock_.Advance(1000);
  ASSERT_TRUE(source_.cluster->CompactPending().ok());
  ClusterStats stats = source_.cluster->Stats();
  EXPECT_EQ(stats.trivial_moves, 1u);
  EXPECT_EQ(stats.compactions, 1u);
  std::map<uint64_t, int> after = SstLevels(source_.meta.get());
  ASSERT_EQ(after.size(), static_cast<size_t>(ssts));
  for (const auto& [id, level] : after) {
    EXPECT_TRUE(before.count(id)) << "a move keeps the object";
    EXPECT_EQ(level, 1);
  }
  // Nothing is stale, so neither vacuum deletes anything.
  auto plain = source_.cluster->Vacuum({});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto full = source_.cluster->Vacuum({.full = true});
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(source_.cluster->Stats().vacuum_deleted, 0u);
  auto backup = service_->Create("after move");
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  clock_.Advance(1000);
  uint64_t after_move = MaxEpochAtMillis(clock_.NowMillis());
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());

  for (auto [epoch, levels] : {std::pair{before_move, before}, std::pair{after_move, after}}) {
    Node restored;
    PointInTimeOptions options = Options();
    options.to_epoch = epoch;
    auto plan = RestoreInto(&restored, options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_EQ(SstLevels(restored.meta.get()), levels) << "restore to epoch " << epoch;
    EXPECT_EQ(DumpNode(&restored), model) << "restore to epoch " << epoch;
    restored.Close();
  }
  // The latest state, restored from the backup taken after the move.
  Node latest;
  PointInTimeOptions options = Options();
  options.to_latest = true;
  auto plan = RestoreInto(&latest, options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(SstLevels(latest.meta.get()), after);
  EXPECT_EQ(DumpNode(&latest), model);
  latest.Close();
}

}  // namespace
}  // namespace cairn::pitr_test
