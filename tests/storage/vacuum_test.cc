// Vacuum: the deletion gate (retention window, min age), dry run, full vacuum.
#include <gtest/gtest.h>

#include "common/random.h"
#include "storage/storage_test_env.h"
#include "testing/limited_meta_store.h"

namespace cairn {
namespace {

using testing::LimitedMetaStore;
using testing::ScanAll;
using testing::StorageEnv;

// Four checkpoints compacted into one SST: four stale objects.
uint32_t MakeStaleObjects(StorageEnv& env) {
  auto t = env.cluster->CreateTable("t");
  EXPECT_TRUE(t.ok());
  for (int i = 0; i < 4; ++i) {
    WriteBatch b;
    b.Put(t->id, "k" + std::to_string(i), "v");
    EXPECT_TRUE(env.cluster->Write(b).ok());
  }
  EXPECT_TRUE(env.cluster->Compact().ok());
  return t->id;
}

TEST(VacuumTest, StaleObjectsWaitForRetentionAndMinAge) {
  StorageEnv env;
  env.options.pitr_retention_ms = 10'000;
  env.options.vacuum_min_age_ms = 5'000;
  ASSERT_TRUE(env.Open().ok());
  uint32_t t = MakeStaleObjects(env);
  std::set<uint64_t> stale = env.StaleObjects();
  ASSERT_EQ(stale.size(), 4u);

  auto report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->stale_candidates, 4u);
  EXPECT_EQ(report->kept_by_gate, 4u);
  EXPECT_EQ(report->deleted, 0u);

  env.clock.Advance(10'001);
  report = env.cluster->Vacuum(VacuumOptions{false, /*dry_run=*/true});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 4u);
  EXPECT_GT(report->deleted_bytes, 0u);
  EXPECT_EQ(env.StaleObjects(), stale);  // dry run: nothing changed
  for (uint64_t id : stale) EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).ok());

  report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 4u);
  EXPECT_TRUE(env.StaleObjects().empty());
  for (uint64_t id : stale)
    EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).status().IsNotFound());
  EXPECT_EQ(env.StoredObjects(), env.VersionObjects());
  EXPECT_EQ(ScanAll(env.cluster.get(), t)->size(), 4u);
  EXPECT_EQ(env.cluster->Stats().vacuum_deleted, 4u);
}

TEST(VacuumTest, FullVacuumRemovesOldOrphansOnly) {
  StorageEnv env;
  env.options.vacuum_min_age_ms = 1'000;
  ASSERT_TRUE(env.Open().ok());
  uint32_t t = MakeStaleObjects(env);
  std::string orphan = SstObjectKey(999'999);
  ASSERT_TRUE(env.objects()->Put(orphan, "left by a crashed upload").ok());
  ASSERT_TRUE(env.objects()->Put("data/not-an-sst.txt", "someone else's").ok());

  auto report = env.cluster->Vacuum(VacuumOptions{/*full=*/true, false});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->orphans, 1u);
  EXPECT_EQ(report->deleted, 0u);  // everything is younger than the min age
  EXPECT_TRUE(env.objects()->Head(orphan).ok());

  env.clock.Advance(1'000);
  report = env.cluster->Vacuum(VacuumOptions{/*full=*/true, false});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->orphans, 1u);
  EXPECT_EQ(report->deleted, 5u);  // the orphan and the four stale SSTs
  EXPECT_TRUE(env.objects()->Head(orphan).status().IsNotFound());
  EXPECT_TRUE(env.objects()->Head("data/not-an-sst.txt").ok());
  EXPECT_EQ(env.StoredObjects(), env.VersionObjects());
  EXPECT_EQ(ScanAll(env.cluster.get(), t)->size(), 4u);
}

// Property: whatever the workload, vacuum (min age 0, no retention) never deletes an
// object the committed version references.
TEST(VacuumTest, NeverDeletesAReferencedObject) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    StorageEnv env;
    ASSERT_TRUE(env.Open().ok());
    Random rnd(seed);
    auto t = env.cluster->CreateTable("t");
    ASSERT_TRUE(t.ok());
    for (int step = 0; step < 30; ++step) {
      WriteBatch b;
      b.Put(t->id, "k" + std::to_string(rnd.Uniform(20)), rnd.Bytes(10));
      ASSERT_TRUE(env.cluster->Write(b, rnd.OneIn(2)).ok());
      if (rnd.OneIn(3)) {
        ASSERT_TRUE(env.cluster->Flush().ok());
      }
      if (rnd.OneIn(5)) {
        ASSERT_TRUE(env.cluster->Compact().ok());
      }
      env.clock.Advance(rnd.Uniform(3));
      ASSERT_TRUE(env.cluster->Vacuum(VacuumOptions{rnd.OneIn(2), false}).ok());
      std::set<uint64_t> stored = env.StoredObjects();
      for (uint64_t id : env.VersionObjects()) ASSERT_TRUE(stored.count(id)) << id;
      ASSERT_TRUE(ScanAll(env.cluster.get(), t->id).ok());
    }
  }
}

// Regression (issue #14): on etcd at its default limits (128 ops per txn) a vacuum that
// freed more than ~120 objects deleted them and then failed its one commit, every time.
// Now it commits in chunks within BulkTxnLimits, each after deleting the chunk's objects.
TEST(VacuumTest, FreesMoreObjectsThanOneCommitHoldsInCommitsThatFit) {
  StorageEnv env;
  ASSERT_TRUE(env.Open().ok());
  LimitedMetaStore limited(env.meta());
  ASSERT_TRUE(env.Open(&limited).ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  // Rounds of 20 checkpoints and a compaction: each commit stays small.
  for (int round = 0; round < 16; ++round) {
    for (int i = 0; i < 20; ++i) {
      WriteBatch b;
      b.Put(t->id, "k" + std::to_string(round * 20 + i), "v");
      ASSERT_TRUE(env.cluster->Write(b).ok());
    }
    ASSERT_TRUE(env.cluster->Compact().ok());
  }
  const std::set<uint64_t> stale = env.StaleObjects();
  ASSERT_GT(stale.size(), 2 * limited.BulkTxnLimits().max_ops) << "not enough to need chunks";
  ASSERT_EQ(limited.refused(), 0u) << "building the state must not need large commits";
  const uint64_t commits_before = limited.commits();
  env.clock.Advance(1);  // past the (zero) retention window

  auto report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted, stale.size());
  EXPECT_EQ(limited.refused(), 0u);
  EXPECT_LE(limited.max_ops(), 128u);
  EXPECT_GE(limited.commits() - commits_before, 3u) << "one commit per chunk";
  EXPECT_TRUE(env.StaleObjects().empty()) << "every chunk's stale keys are committed";
  for (uint64_t id : stale) {
    EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).status().IsNotFound()) << id;
  }
  EXPECT_EQ(env.StoredObjects(), env.VersionObjects());
  EXPECT_EQ(ScanAll(env.cluster.get(), t->id)->size(), 320u);
}

// Stale keys whose objects are already gone (a vacuum that failed between a chunk's
// deletes and its commit) are forgotten in commits that fit too.
TEST(VacuumTest, ForgetsManyStaleKeysOfMissingObjectsInCommitsThatFit) {
  StorageEnv env;
  ASSERT_TRUE(env.Open().ok());
  LimitedMetaStore limited(env.meta());
  ASSERT_TRUE(env.Open(&limited).ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  for (int round = 0; round < 16; ++round) {
    for (int i = 0; i < 20; ++i) {
      WriteBatch b;
      b.Put(t->id, "k" + std::to_string(i), std::to_string(round));
      ASSERT_TRUE(env.cluster->Write(b).ok());
    }
    ASSERT_TRUE(env.cluster->Compact().ok());
  }
  const std::set<uint64_t> stale = env.StaleObjects();
  ASSERT_GT(stale.size(), 2 * limited.BulkTxnLimits().max_ops);
  for (uint64_t id : stale) ASSERT_TRUE(env.objects()->Delete(SstObjectKey(id)).ok());

  auto report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted, 0u);
  EXPECT_EQ(limited.refused(), 0u);
  EXPECT_TRUE(env.StaleObjects().empty());
  EXPECT_EQ(ScanAll(env.cluster.get(), t->id)->size(), 20u);
}

// The same on a real etcd at its default limits (scripts/test-servers.sh): hundreds of
// stale objects are freed and their stale keys removed, every commit accepted.
TEST(VacuumTest, OnEtcdAtDefaultLimitsFreesHundredsOfObjects) {
  CAIRN_REQUIRE_EXTERNAL(etcd, "CAIRN_TEST_ETCD_URL");
  auto meta = OpenMetaStore(etcd + "/cairn-test/vacuum-" + std::to_string(getpid()));
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  StorageEnv env;
  ASSERT_TRUE(env.Open(meta->get()).ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 20; ++i) {
      WriteBatch b;
      b.Put(t->id, "k" + std::to_string(round * 20 + i), "v");
      ASSERT_TRUE(env.cluster->Write(b).ok());
    }
    Status compacted = env.cluster->Compact();
    ASSERT_TRUE(compacted.ok()) << compacted.ToString();
  }
  auto stale = [&] {
    auto kvs =
        (*meta)->Range(keys::kStorageStalePrefix, PrefixEnd(keys::kStorageStalePrefix), 100000);
    EXPECT_TRUE(kvs.ok());
    return kvs.ok() ? kvs->size() : 0;
  };
  const size_t before = stale();
  ASSERT_GT(before, 128u) << "more than one etcd txn can hold";
  env.clock.Advance(1);
  auto report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted, before);
  EXPECT_EQ(stale(), 0u);
  EXPECT_EQ(ScanAll(env.cluster.get(), t->id)->size(), 160u);
  env.Close();
  (void)(*meta)->Commit({{}, {Op::DeleteRange(std::string(1, '\0'), "")}});
}

}  // namespace
}  // namespace cairn
