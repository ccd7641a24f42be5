// Leveled compaction: levels grow by the sizing, reads (latest and time travel) stay
// exact through every level, tombstones never resurface older versions, and every
// version delta fits the meta store's transaction limits.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "common/random.h"
#include "meta/changelog.h"
#include "sst/internal_key.h"
#include "storage/history_model.h"
#include "storage/storage_test_env.h"

namespace cairn {
namespace {

using testing::ExpectReadsMatch;
using testing::History;
using testing::ScanAll;
using testing::StorageEnv;

// A meta store that refuses, as etcd does, transactions over its advertised limits.
class LimitedMetaStore final : public MetaStore {
 public:
  LimitedMetaStore(MetaStore* base, TxnLimits limits) : base_(base), limits_(limits) {}
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override { return base_->Snapshot(); }
  Result<int64_t> Commit(const Txn& txn) override {
    size_t bytes = 0;
    for (const Op& op : txn.ops) bytes += op.key.size() + op.value.size() + op.end.size();
    max_ops_seen = std::max(max_ops_seen, txn.ops.size());
    if (txn.ops.size() > limits_.max_ops || txn.compares.size() > limits_.max_ops ||
        bytes > limits_.max_bytes) {
      ++refused;
      return Status::InvalidArgument("too many operations in txn request");
    }
    return base_->Commit(txn);
  }
  std::string DescribeForLog() const override { return "limited+" + base_->DescribeForLog(); }
  TxnLimits BulkTxnLimits() const override { return limits_; }

  size_t max_ops_seen = 0;
  int refused = 0;

 private:
  MetaStore* base_;
  TxnLimits limits_;
};

class LeveledCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.options.target_sst_bytes = 4 << 10;
    env_.options.max_bytes_for_level_base = 16 << 10;
    env_.options.level_size_multiplier = 3;
    env_.options.level0_compaction_trigger = 2;
  }
  Status Open(MetaStore* meta = nullptr) {
    CAIRN_RETURN_IF_ERROR(env_.Open());
    if (!meta) return Status::OK();
    return env_.Open(meta);
  }

  // `rounds` checkpoints of random puts and deletes over `keyspace` keys, each followed
  // by the pending compactions; returns the epochs written.
  std::vector<uint64_t> Churn(uint32_t table, int rounds, int keyspace, uint64_t seed) {
    Random rnd(seed);
    std::vector<uint64_t> epochs;
    for (int round = 0; round < rounds; ++round) {
      WriteBatch b;
      std::map<std::string, std::optional<std::string>> batch;
      for (int i = 0; i < 60; ++i) {
        std::string k = "key" + std::to_string(rnd.Uniform(keyspace));
        if (rnd.Uniform(5) == 0) {
          b.Delete(table, k);
          batch[k] = std::nullopt;
        } else {
          std::string v = std::to_string(round) + ":" + rnd.Bytes(40);
          b.Put(table, k, v);
          batch[k] = v;
        }
      }
      auto e = env_.cluster->Write(b);
      EXPECT_TRUE(e.ok()) << e.status().ToString();
      if (!e.ok()) return epochs;
      for (auto& [k, v] : batch) history_[k][*e] = v;
      epochs.push_back(*e);
      Status s = env_.cluster->CompactPending();
      EXPECT_TRUE(s.ok()) << s.ToString();
      env_.clock.Advance(1);
    }
    return epochs;
  }

  void ExpectReadsAt(uint32_t table, uint64_t epoch) {
    ExpectReadsMatch(env_.cluster.get(), table, history_, epoch);
  }

  // Every sorted level's SSTs are ordered and disjoint by user key, at their level.
  void ExpectSortedLevels() {
    auto kvs =
        env_.meta()->Range(keys::kStorageSstPrefix, PrefixEnd(keys::kStorageSstPrefix), 100000);
    ASSERT_TRUE(kvs.ok());
    std::map<int, std::map<std::string, std::string>> levels;  // smallest -> largest
    for (const auto& kv : *kvs) {
      SstMeta m = *DecodeSstMeta(kv.value);
      if (m.level > 0) {
        levels[m.level][std::string(sst::UserPart(m.smallest_key))] =
            std::string(sst::UserPart(m.largest_key));
      }
    }
    for (const auto& [level, files] : levels) {
      std::string prev_largest;
      bool first = true;
      for (const auto& [smallest, largest] : files) {
        EXPECT_TRUE(first || prev_largest < smallest) << "overlap at L" << level;
        prev_largest = largest;
        first = false;
      }
    }
  }

  uint64_t StoredBytes() {
    uint64_t bytes = 0;
    EXPECT_TRUE(ListAll(*env_.objects(), "data/", [&](const ObjectMeta& m) {
                  bytes += m.size;
                  return Status::OK();
                }).ok());
    return bytes;
  }

  StorageEnv env_;
  History history_;
};

TEST_F(LeveledCompactionTest, LevelsGrowWithinTheirTargetsAndReadsStayExact) {
  ASSERT_TRUE(Open().ok());
  uint32_t t = env_.cluster->CreateTable("t")->id;
  std::vector<uint64_t> epochs = Churn(t, 120, 3000, 1);
  ClusterStats stats = env_.cluster->Stats();
  ASSERT_EQ(stats.levels.size(), 7u);
  EXPECT_LT(stats.levels[0].sst_count, 2u);
  int deepest = 0;
  for (const LevelStats& l : stats.levels) {
    if (l.sst_count > 0) deepest = l.level;
  }
  EXPECT_GE(deepest, 3) << "the data should span several levels";
  // Every level above the deepest is within its target once nothing is pending.
  uint64_t target = 16 << 10;
  for (int level = 1; level < deepest; ++level, target *= 3) {
    EXPECT_LE(stats.levels[level].bytes, target) << "L" << level;
  }
  ExpectSortedLevels();
  ExpectReadsAt(t, epochs.back());
  // A full compaction moves everything to the deepest level and keeps the data.
  ASSERT_TRUE(env_.cluster->Compact().ok());
  stats = env_.cluster->Stats();
  for (int level = 0; level < deepest; ++level) EXPECT_EQ(stats.levels[level].sst_count, 0u);
  ExpectSortedLevels();
  ExpectReadsAt(t, epochs.back());
  ASSERT_TRUE(env_.Reopen().ok());
  ExpectReadsAt(t, epochs.back());
}

TEST_F(LeveledCompactionTest, TimeTravelWithinRetentionIsExactAtEveryLevel) {
  env_.options.pitr_retention_ms = 3600 * 1000;
  ASSERT_TRUE(Open().ok());
  uint32_t t = env_.cluster->CreateTable("t")->id;
  std::vector<uint64_t> epochs = Churn(t, 80, 400, 2);
  EXPECT_GE(env_.cluster->Stats().levels[2].sst_count, 1u);
  for (size_t i = 0; i < epochs.size(); i += 9) ExpectReadsAt(t, epochs[i]);
  ASSERT_TRUE(env_.cluster->Compact().ok());
  for (size_t i = 0; i < epochs.size(); i += 9) ExpectReadsAt(t, epochs[i]);
  ExpectReadsAt(t, epochs.back());
}

TEST_F(LeveledCompactionTest, WriteAmplificationIsBelowTwoLevels) {
  // Bytes of every SST ever written (nothing is vacuumed) per byte checkpointed.
  auto amplification = [this](int num_levels) {
    env_.options.num_levels = num_levels;
    EXPECT_TRUE(env_.Reopen().ok());
    uint32_t t = env_.cluster->CreateTable("t" + std::to_string(num_levels))->id;
    uint64_t flushed = 0, before = StoredBytes();
    Random rnd(3);
    for (int round = 0; round < 150; ++round) {
      WriteBatch b;
      for (int i = 0; i < 60; ++i) {
        b.Put(t, "key" + std::to_string(rnd.Uniform(1000000)), rnd.Bytes(40));
      }
      EXPECT_TRUE(env_.cluster->Write(b).ok());
      flushed += env_.cluster->Stats().levels[0].bytes;  // the checkpoint's L0 SST
      EXPECT_TRUE(env_.cluster->CompactPending().ok());
    }
    return static_cast<double>(StoredBytes() - before) / static_cast<double>(flushed);
  };
  // Trigger 1: every checkpoint is compacted, so each measured L0 size is one SST.
  env_.options.level0_compaction_trigger = 1;
  double two = amplification(2);
  double seven = amplification(7);
  EXPECT_LT(seven * 2, two) << "7 levels " << seven << " vs 2 levels " << two;
}

TEST_F(LeveledCompactionTest, EveryCommitFitsTheMetaStoreLimits) {
  ASSERT_TRUE(env_.Open().ok());
  LimitedMetaStore limited(env_.meta(), {24, 64 << 10});
  ASSERT_TRUE(env_.Open(&limited).ok());
  uint32_t t = env_.cluster->CreateTable("t")->id;
  std::vector<uint64_t> epochs = Churn(t, 100, 3000, 4);
  ASSERT_TRUE(env_.cluster->Compact().ok());
  EXPECT_EQ(limited.refused, 0);
  EXPECT_LE(limited.max_ops_seen, 24u);
  EXPECT_GT(env_.cluster->Stats().compactions, 20u);
  ExpectReadsAt(t, epochs.back());
}

TEST_F(LeveledCompactionTest, CompactionTooLargeForOneCommitIsRefusedBeforeAnyDelete) {
  ASSERT_TRUE(env_.Open().ok());
  uint32_t t = env_.cluster->CreateTable("t")->id;
  Churn(t, 40, 3000, 5);
  ASSERT_TRUE(env_.cluster->Flush().ok());
  std::set<uint64_t> version = env_.VersionObjects(), stored = env_.StoredObjects();
  // Not even one SST and what it overlaps fits 6 ops (a delta needs >= 2*1 + 1 + 3).
  LimitedMetaStore tiny(env_.meta(), {6, 1 << 20});
  ASSERT_TRUE(env_.Open(&tiny).ok());
  Status s = env_.cluster->Compact();
  EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("does not fit one meta-store commit"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(tiny.refused, 0);  // refused by the engine, never sent
  EXPECT_EQ(env_.VersionObjects(), version);
  EXPECT_EQ(env_.StoredObjects(), stored);
  ExpectReadsAt(t, env_.cluster->committed_epoch());
}

// Levels of the SSTs in the meta store, by object id.
std::map<uint64_t, int> StoredLevels(MetaStore* meta) {
  std::map<uint64_t, int> levels;
  auto kvs = meta->Range(keys::kStorageSstPrefix, PrefixEnd(keys::kStorageSstPrefix), 100000);
  EXPECT_TRUE(kvs.ok());
  for (const auto& kv : *kvs) {
    SstMeta m = *DecodeSstMeta(kv.value);
    levels[m.object_id] = m.level;
  }
  return levels;
}

TEST_F(LeveledCompactionTest, TrivialMoveChangesOnlyTheLevelAndKeepsTheObjects) {
  ASSERT_TRUE(Open().ok());
  uint32_t t = env_.cluster->CreateTable("t")->id;
  // Ascending keys: every checkpoint's SST overlaps nothing written before it.
  uint64_t last = 0;
  for (int round = 0; round < 12; ++round) {
    WriteBatch b;
    std::map<std::string, std::string> batch;
    for (int i = 0; i < 80; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "key%06d", round * 80 + i);
      batch[key] = std::to_string(round) + ":" + std::string(60, 'v');
      b.Put(t, key, batch[key]);
    }
    auto e = env_.cluster->Write(b);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    last = *e;
    for (const auto& [k, v] : batch) history_[k][last] = v;
    ASSERT_TRUE(env_.cluster->CompactPending().ok());
    env_.clock.Advance(1);
  }
  ClusterStats stats = env_.cluster->Stats();
  EXPECT_GT(stats.trivial_moves, 0u);
  EXPECT_EQ(stats.trivial_moves, stats.compactions) << "nothing overlaps: nothing is rewritten";
  std::map<uint64_t, int> levels = StoredLevels(env_.meta());
  int below_l0 = 0;
  for (const auto& [id, level] : levels) below_l0 += level > 0;
  EXPECT_GT(below_l0, 0);
  // No SST was rewritten: every object ever written is in the version, none is stale.
  EXPECT_EQ(env_.StoredObjects(), env_.VersionObjects());
  EXPECT_TRUE(env_.StaleObjects().empty());
  ExpectSortedLevels();
  ExpectReadsAt(t, last);
  // A full vacuum deletes no moved SST; a restart reads the levels from the meta store.
  auto report = env_.cluster->Vacuum({.full = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(env_.StoredObjects(), env_.VersionObjects());
  ASSERT_TRUE(env_.Reopen().ok());
  stats = env_.cluster->Stats();
  uint64_t counted = 0;
  for (const LevelStats& l : stats.levels) counted += l.level > 0 ? l.sst_count : 0;
  EXPECT_EQ(counted, static_cast<uint64_t>(below_l0));
  EXPECT_EQ(StoredLevels(env_.meta()), levels);
  ExpectReadsAt(t, last);
}

TEST_F(LeveledCompactionTest, TrivialMoveIsOneChangelogRecordPuttingTheSstAtItsNewLevel) {
  env_.options.level0_compaction_trigger = 1;
  ASSERT_TRUE(Open().ok());
  uint32_t t = env_.cluster->CreateTable("t")->id;
  WriteBatch b;
  b.Put(t, "k", "v");
  ASSERT_TRUE(env_.cluster->Write(b).ok());
  std::set<uint64_t> before = env_.VersionObjects();
  ASSERT_EQ(before.size(), 1u);
  auto changelog = [this] {
    std::vector<ChangelogRecord> out;
    auto kvs =
        env_.meta()->Range(keys::kChangelogPrefix, PrefixEnd(keys::kChangelogPrefix), 1 << 20);
    EXPECT_TRUE(kvs.ok());
    for (const auto& kv : *kvs) out.push_back(*DecodeChangelogRecord(kv.value));
    return out;
  };
  size_t records_before = changelog().size();
  ASSERT_TRUE(env_.cluster->CompactPending().ok());
  EXPECT_EQ(env_.cluster->Stats().trivial_moves, 1u);
  EXPECT_EQ(env_.VersionObjects(), before);
  EXPECT_EQ(StoredLevels(env_.meta()).at(*before.begin()), 1);
  std::vector<ChangelogRecord> records = changelog();
  ASSERT_EQ(records.size(), records_before + 1);
  int sst_puts = 0, deletes = 0;
  for (const Op& op : records.back().ops) {
    if (op.kind == Op::Kind::kDelete) ++deletes;
    if (op.key == keys::SstKey(*before.begin()) && op.kind == Op::Kind::kPut) {
      ++sst_puts;
      EXPECT_EQ(DecodeSstMeta(op.value)->level, 1);
    }
    EXPECT_FALSE(op.key.starts_with(keys::kStorageStalePrefix)) << op.key;
  }
  EXPECT_EQ(sst_puts, 1);
  EXPECT_EQ(deletes, 0);
}

}  // namespace
}  // namespace cairn
