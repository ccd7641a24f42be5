// Engine behaviour: writes, reads, DDL, recovery, time travel, compaction, errors.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/epoch.h"
#include "common/random.h"
#include "storage/storage_test_env.h"

namespace cairn {
namespace {

using testing::ScanAll;
using testing::StorageEnv;

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.Open().ok()); }
  Cluster* c() { return env_.cluster.get(); }

  uint32_t Create(const std::string& name) {
    auto t = c()->CreateTable(name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->id : 0;
  }
  uint64_t Put(uint32_t table, const std::string& k, const std::string& v, bool wait = true) {
    WriteBatch b;
    b.Put(table, k, v);
    auto e = c()->Write(b, wait);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : 0;
  }
  uint64_t Del(uint32_t table, const std::string& k) {
    WriteBatch b;
    b.Delete(table, k);
    auto e = c()->Write(b, true);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : 0;
  }
  std::optional<std::string> Get(uint32_t table, const std::string& k, uint64_t as_of = 0) {
    ReadOptions ro;
    ro.as_of_epoch = as_of;
    auto v = c()->Get(table, k, ro);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }

  StorageEnv env_;
};

TEST_F(ClusterTest, PutGetDeleteScanAcrossTables) {
  uint32_t a = Create("a"), b = Create("b");
  Put(a, "k1", "a1");
  Put(a, "k2", "a2");
  Put(b, "k1", "b1");
  EXPECT_EQ(Get(a, "k1"), "a1");
  EXPECT_EQ(Get(b, "k1"), "b1");
  EXPECT_EQ(Get(b, "k2"), std::nullopt);
  Del(a, "k1");
  EXPECT_EQ(Get(a, "k1"), std::nullopt);
  EXPECT_EQ(*ScanAll(c(), a), (std::map<std::string, std::string>{{"k2", "a2"}}));
  EXPECT_EQ(*ScanAll(c(), b), (std::map<std::string, std::string>{{"k1", "b1"}}));
}

TEST_F(ClusterTest, ScanHonoursBounds) {
  uint32_t t = Create("t");
  WriteBatch batch;
  for (char ch = 'a'; ch <= 'f'; ++ch) batch.Put(t, std::string(1, ch), "v");
  ASSERT_TRUE(c()->Write(batch, true).ok());
  auto it = c()->Scan(t, "b", "e");
  ASSERT_TRUE(it.ok());
  std::string keys;
  for (; (*it)->Valid(); (*it)->Next()) keys += (*it)->key();
  EXPECT_EQ(keys, "bcd");
}

TEST_F(ClusterTest, UnflushedWritesAreInvisibleUntilCommitted) {
  uint32_t t = Create("t");
  uint64_t epoch = Put(t, "k", "v", /*wait=*/false);
  EXPECT_EQ(Get(t, "k"), std::nullopt);
  EXPECT_LT(c()->committed_epoch(), epoch);
  auto committed = c()->Flush();
  ASSERT_TRUE(committed.ok());
  EXPECT_GE(*committed, epoch);
  EXPECT_EQ(Get(t, "k"), "v");
}

TEST_F(ClusterTest, EpochsAreStrictlyIncreasingEvenWhenTheClockStalls) {
  uint32_t t = Create("t");
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    uint64_t e = Put(t, "k", std::to_string(i));
    EXPECT_GT(e, last);
    last = e;
  }
  env_.clock.Advance(10);
  uint64_t later = Put(t, "k", "x");
  EXPECT_GT(later, last);
  EXPECT_GE(EpochToMillis(later), env_.clock.NowMillis());
}

TEST_F(ClusterTest, LimitsAndUnknownTables) {
  uint32_t t = Create("t");
  WriteBatch empty_key;
  empty_key.Put(t, "", "v");
  EXPECT_EQ(c()->Write(empty_key).status().code(), ErrorCode::kInvalidArgument);
  WriteBatch big_key;
  big_key.Put(t, std::string(kMaxUserKeySize + 1, 'k'), "v");
  EXPECT_EQ(c()->Write(big_key).status().code(), ErrorCode::kInvalidArgument);
  WriteBatch big_value;
  big_value.Put(t, "k", std::string(kMaxUserValueSize + 1, 'v'));
  EXPECT_EQ(c()->Write(big_value).status().code(), ErrorCode::kInvalidArgument);
  WriteBatch max_sizes;
  max_sizes.Put(t, std::string(kMaxUserKeySize, 'k'), std::string(kMaxUserValueSize, 'v'));
  EXPECT_TRUE(c()->Write(max_sizes).ok());
  EXPECT_EQ(Get(t, std::string(kMaxUserKeySize, 'k'))->size(), kMaxUserValueSize);

  WriteBatch unknown;
  unknown.Put(999, "k", "v");
  auto w = c()->Write(unknown);
  EXPECT_TRUE(w.status().IsNotFound());
  EXPECT_NE(w.status().message().find("999"), std::string::npos);
  EXPECT_TRUE(c()->Get(999, "k").status().IsNotFound());
  EXPECT_TRUE(c()->Scan(999, "", "").status().IsNotFound());
  EXPECT_EQ(c()->Get(t, "").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ClusterTest, DdlCatalogIsVersionedAndSurvivesReopen) {
  uint32_t a = Create("a");
  EXPECT_EQ(c()->CreateTable("a").status().code(), ErrorCode::kAlreadyExists);
  Put(a, "k", "v");
  uint64_t before_drop = c()->committed_epoch();
  ASSERT_TRUE(c()->DropTable("a").ok());
  EXPECT_TRUE(c()->DropTable("a").IsNotFound());
  EXPECT_TRUE(c()->GetTable("a").status().IsNotFound());
  WriteBatch b;
  b.Put(a, "k", "v2");
  EXPECT_TRUE(c()->Write(b).status().IsNotFound());
  uint32_t a2 = Create("a");
  EXPECT_NE(a2, a);
  ASSERT_TRUE(c()->Flush().ok());

  ASSERT_TRUE(env_.Reopen().ok());
  auto live = c()->ListTables();
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].id, a2);
  // Time travel sees the dropped table and its data.
  env_.options.pitr_retention_ms = 3600 * 1000;
  ASSERT_TRUE(env_.Reopen().ok());
  ReadOptions old;
  old.as_of_epoch = before_drop;
  auto then = c()->GetTable("a", old);
  ASSERT_TRUE(then.ok());
  EXPECT_EQ(then->id, a);
  EXPECT_EQ(Get(a, "k", before_drop), "v");
  EXPECT_TRUE(c()->Get(a, "k").status().IsNotFound());

  auto version = env_.meta()->Get(keys::kCatalogVersion);
  ASSERT_TRUE(version.ok() && *version);
  EXPECT_EQ((*version)->value, "3");  // create, drop, create
}

TEST_F(ClusterTest, RecoversCommittedStateOnlyFromTheMetaStore) {
  uint32_t t = Create("t");
  Put(t, "a", "1");
  Put(t, "b", "2");
  uint64_t committed = c()->committed_epoch();
  Put(t, "c", "3", /*wait=*/false);  // never committed
  ASSERT_TRUE(env_.Reopen().ok());
  EXPECT_EQ(c()->committed_epoch(), committed);
  EXPECT_EQ(*ScanAll(c(), t), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  // New epochs continue above everything seen before the restart.
  EXPECT_GT(Put(t, "d", "4"), committed);
}

TEST_F(ClusterTest, TimeTravelWithinRetentionAndRefusedBeyondIt) {
  env_.options.pitr_retention_ms = 10'000;
  ASSERT_TRUE(env_.Reopen().ok());
  uint32_t t = Create("t");
  uint64_t e1 = Put(t, "k", "v1");
  env_.clock.Advance(1000);
  uint64_t e2 = Put(t, "k", "v2");
  env_.clock.Advance(1000);
  Del(t, "k");
  ASSERT_TRUE(c()->Compact().ok());  // keeps versions inside the window
  EXPECT_EQ(Get(t, "k", e1), "v1");
  EXPECT_EQ(Get(t, "k", e2), "v2");
  EXPECT_EQ(Get(t, "k"), std::nullopt);
  EXPECT_EQ(ScanAll(c(), t, e1)->at("k"), "v1");

  env_.clock.Advance(60'000);
  ReadOptions ro;
  ro.as_of_epoch = e1;
  auto r = c()->Get(t, "k", ro);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("retention"), std::string::npos);
}

TEST_F(ClusterTest, CompactionDropsOldVersionsAndTombstones) {
  uint32_t t = Create("t");
  for (int round = 0; round < 5; ++round) {
    WriteBatch b;
    for (int i = 0; i < 100; ++i) b.Put(t, "k" + std::to_string(i), std::to_string(round));
    ASSERT_TRUE(c()->Write(b).ok());
  }
  WriteBatch dels;
  for (int i = 0; i < 50; ++i) dels.Delete(t, "k" + std::to_string(i));
  ASSERT_TRUE(c()->Write(dels).ok());
  EXPECT_EQ(c()->Stats().levels[0].sst_count, 6u);
  env_.clock.Advance(1);
  ASSERT_TRUE(c()->Compact().ok());
  auto stats = c()->Stats();
  EXPECT_EQ(stats.levels[0].sst_count, 0u);
  EXPECT_EQ(stats.levels[1].sst_count, 1u);
  EXPECT_EQ(stats.compactions, 1u);
  auto rows = ScanAll(c(), t);
  ASSERT_EQ(rows->size(), 50u);
  EXPECT_EQ(rows->at("k99"), "4");
  // Only the 50 live keys' newest versions remain.
  auto sst = env_.meta()->Range(keys::kStorageSstPrefix, PrefixEnd(keys::kStorageSstPrefix), 10);
  ASSERT_EQ(sst->size(), 1u);
  EXPECT_EQ(DecodeSstMeta((*sst)[0].value)->entry_count, 50u);
  EXPECT_EQ(env_.StaleObjects().size(), 6u);
}

TEST_F(ClusterTest, DroppedTableDataIsCompactedAway) {
  uint32_t a = Create("a"), b = Create("b");
  Put(a, "k", "v");
  Put(b, "k", "v");
  ASSERT_TRUE(c()->DropTable("a").ok());
  ASSERT_TRUE(c()->Flush().ok());
  env_.clock.Advance(1);
  ASSERT_TRUE(c()->Compact().ok());
  auto sst = env_.meta()->Range(keys::kStorageSstPrefix, PrefixEnd(keys::kStorageSstPrefix), 10);
  ASSERT_EQ(sst->size(), 1u);
  EXPECT_EQ(DecodeSstMeta((*sst)[0].value)->table_ids, std::vector<uint32_t>{b});
}

TEST_F(ClusterTest, CorruptSstIsReportedNeverWrongData) {
  uint32_t t = Create("t");
  WriteBatch batch;
  for (int i = 0; i < 2000; ++i) batch.Put(t, "key" + std::to_string(i), std::string(50, 'x'));
  ASSERT_TRUE(c()->Write(batch).ok());
  auto ids = env_.VersionObjects();
  ASSERT_EQ(ids.size(), 1u);
  std::string key = SstObjectKey(*ids.begin());
  std::string bytes = *env_.objects()->Get(key);
  bytes[100] ^= 0x08;  // inside the first data block
  ASSERT_TRUE(env_.objects()->Put(key, bytes).ok());
  ASSERT_TRUE(env_.Reopen().ok());  // empty block cache
  auto scan = ScanAll(c(), t);
  ASSERT_FALSE(scan.ok());
  EXPECT_TRUE(scan.status().IsCorruption());
  EXPECT_NE(scan.status().message().find(key + " block at offset 0"), std::string::npos)
      << scan.status().message();
  auto get = c()->Get(t, "key0");
  ASSERT_FALSE(get.ok());
  EXPECT_TRUE(get.status().IsCorruption());
}

TEST_F(ClusterTest, MissingSstIsNotFoundNamingTheObject) {
  uint32_t t = Create("t");
  Put(t, "k", "v");
  std::string key = SstObjectKey(*env_.VersionObjects().begin());
  ASSERT_TRUE(env_.objects()->Delete(key).ok());
  ASSERT_TRUE(env_.Reopen().ok());
  auto get = c()->Get(t, "k");
  ASSERT_FALSE(get.ok());
  EXPECT_TRUE(get.status().IsNotFound());
  EXPECT_NE(get.status().message().find(key), std::string::npos);
}

// SSTs are create-only: a checkpoint whose fresh object id is already taken (a bug, or a
// meta store restored to an older id counter) fails rather than replace that object.
TEST_F(ClusterTest, CheckpointNeverOverwritesAnExistingSstObject) {
  uint32_t t = Create("t");
  Put(t, "a", "1");
  auto ids = env_.VersionObjects();
  ASSERT_EQ(ids.size(), 1u);
  // Squat on the rest of the id batch the first SST came from: the next ids handed out.
  std::map<std::string, std::string> squatters;
  for (uint64_t id = *ids.begin() + 1; id <= *ids.begin() + 16; ++id) {
    squatters[SstObjectKey(id)] = "someone else's SST " + std::to_string(id);
  }
  for (const auto& [key, bytes] : squatters) ASSERT_TRUE(env_.objects()->Put(key, bytes).ok());

  WriteBatch batch;
  batch.Put(t, "b", "2");
  auto epoch = c()->Write(batch, /*wait=*/true);
  ASSERT_FALSE(epoch.ok()) << "the checkpoint overwrote an existing SST object";
  EXPECT_EQ(epoch.status().code(), ErrorCode::kAlreadyExists) << epoch.status().ToString();
  EXPECT_NE(epoch.status().message().find(SstObjectKey(*ids.begin() + 1)), std::string::npos)
      << epoch.status().ToString();
  for (const auto& [key, bytes] : squatters) EXPECT_EQ(*env_.objects()->Get(key), bytes) << key;
  EXPECT_EQ(env_.VersionObjects(), ids);
  EXPECT_EQ(Get(t, "a"), "1");

  // The write stays in the memtable; once the ids are free again it is checkpointed.
  for (const auto& [key, bytes] : squatters) ASSERT_TRUE(env_.objects()->Delete(key).ok());
  ASSERT_TRUE(c()->Flush().ok());
  EXPECT_EQ(Get(t, "b"), "2");
  EXPECT_EQ(env_.VersionObjects().size(), 2u);
}

TEST_F(ClusterTest, LargeFlushSplitsIntoSeveralSstsAtUserKeyBoundaries) {
  uint32_t t = Create("t");
  Random rnd(3);
  for (int round = 0; round < 3; ++round) {
    WriteBatch b;
    for (int i = 0; i < 3000; ++i) {
      b.Put(t, "key" + std::to_string(i),
            std::string(1, static_cast<char>('a' + round)) + rnd.Bytes(39));
    }
    ASSERT_TRUE(c()->Write(b).ok());
  }
  EXPECT_GT(c()->Stats().levels[0].sst_count, 3u);
  ASSERT_TRUE(c()->Compact().ok());
  EXPECT_GT(c()->Stats().levels[1].sst_count, 1u);
  auto rows = ScanAll(c(), t);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 3000u);
  for (int i = 0; i < 3000; i += 97) EXPECT_EQ(Get(t, "key" + std::to_string(i))->at(0), 'c');
}

TEST_F(ClusterTest, BackgroundCheckpointCommitsWaitingWrites) {
  env_.options.background_threads = true;
  env_.options.checkpoint_interval_ms = 5;
  ASSERT_TRUE(env_.Reopen().ok());
  uint32_t t = Create("t");
  for (int i = 0; i < 20; ++i) Put(t, "k" + std::to_string(i), "v", /*wait=*/true);
  EXPECT_EQ(ScanAll(c(), t)->size(), 20u);
  ASSERT_TRUE(c()->Close().ok());
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// Two engines on one meta store (a misconfiguration the server's lease prevents): the
// stale one's checkpoint fails instead of overwriting the version, and after reloading
// it commits on top without losing either writer's data.
TEST(TwoWritersTest, StaleWriterCannotOverwriteTheVersion) {
  testing::StorageEnv env;
  ASSERT_TRUE(env.Open().ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(env.cluster->Flush().ok());

  MetaWriter other_writer(env.meta(), &env.clock);
  ASSERT_TRUE(other_writer.Open().ok());
  auto other = Cluster::Open(&other_writer, env.objects(), env.options);
  ASSERT_TRUE(other.ok());

  WriteBatch from_b;
  from_b.Put(t->id, "b", "from other");
  ASSERT_TRUE((*other)->Write(from_b, /*wait=*/false).ok());
  WriteBatch from_a;
  from_a.Put(t->id, "a", "from first");
  ASSERT_TRUE(env.cluster->Write(from_a).ok());

  auto stale = (*other)->Flush();
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.status().IsConflict()) << stale.status().ToString();
  ASSERT_TRUE((*other)->Flush().ok());  // reloaded: commits on top
  ASSERT_TRUE((*other)->Close().ok());

  ASSERT_TRUE(env.Reopen().ok());
  auto rows = testing::ScanAll(env.cluster.get(), t->id);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::map<std::string, std::string>{{"a", "from first"}, {"b", "from other"}}));
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// The background compaction merges L0 only with the L1 SSTs it overlaps.
TEST(BackgroundCompactionTest, MergesL0WithOverlappingL1Only) {
  testing::StorageEnv env;
  env.options.target_sst_bytes = 4096;
  ASSERT_TRUE(env.Open().ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  Random rnd(5);
  std::map<std::string, std::string> want;
  WriteBatch first;
  for (int i = 0; i < 1000; ++i) {
    for (const char* prefix : {"a", "z"}) {
      std::string k = prefix + std::to_string(1000 + i), v = rnd.Bytes(20);
      first.Put(t->id, k, v);
      want[k] = v;
    }
  }
  ASSERT_TRUE(env.cluster->Write(first).ok());
  ASSERT_TRUE(env.cluster->Compact().ok());
  std::set<uint64_t> before = env.VersionObjects();
  ASSERT_GT(before.size(), 4u);

  env.options.background_threads = true;
  env.options.checkpoint_interval_ms = 3600 * 1000;  // checkpoints only by Flush()
  env.options.level0_compaction_trigger = 4;
  ASSERT_TRUE(env.Reopen().ok());
  for (int round = 0; round < 4; ++round) {
    WriteBatch b;
    std::string k = "a" + std::to_string(1000 + round * 7), v = rnd.Bytes(20);
    b.Put(t->id, k, v);
    want[k] = v;
    ASSERT_TRUE(env.cluster->Write(b, /*wait=*/false).ok());
    ASSERT_TRUE(env.cluster->Flush().ok());
  }
  for (int i = 0; i < 3000 && env.cluster->Stats().compactions == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ClusterStats stats = env.cluster->Stats();
  ASSERT_EQ(stats.compactions, 1u);
  EXPECT_EQ(stats.levels[0].sst_count, 0u);
  std::set<uint64_t> after = env.VersionObjects();
  size_t kept = 0;
  for (uint64_t id : before) kept += after.count(id);
  EXPECT_GT(kept, 0u);             // the "z" SSTs were not rewritten
  EXPECT_LT(kept, before.size());  // the overlapping "a" SSTs were
  EXPECT_EQ(*testing::ScanAll(env.cluster.get(), t->id), want);
}

}  // namespace
}  // namespace cairn
