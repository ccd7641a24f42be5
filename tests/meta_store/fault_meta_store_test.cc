// FaultMetaStore: seeded determinism, and what each fault kind leaves behind.
#include "meta_store/fault_meta_store.h"

#include <gtest/gtest.h>

#include "meta_store/meta_store.h"

namespace cairn {
namespace {

std::unique_ptr<MetaStore> PrivateMemStore() {
  auto store = OpenMetaStore("mem://");
  EXPECT_TRUE(store.ok());
  return std::move(store).value();
}

Txn PutTxn(const std::string& key, const std::string& value) {
  Txn txn;
  txn.ops.push_back(Op::Put(key, value));
  return txn;
}

int64_t BaseRevision(FaultMetaStore* store) {
  auto snapshot = store->base()->Snapshot();
  EXPECT_TRUE(snapshot.ok());
  return (*snapshot)->revision();
}

// The outcome of a fixed sequence of commits and reads, as error codes.
std::vector<ErrorCode> RunScript(uint64_t seed) {
  FaultOptions options;
  options.seed = seed;
  options.fail_before_apply_percent = 20;
  options.fail_after_apply_percent = 20;
  options.fail_snapshot_read_percent = 20;
  FaultMetaStore store(PrivateMemStore(), options);
  std::vector<ErrorCode> outcomes;
  for (int i = 0; i < 100; ++i) {
    outcomes.push_back(store.Commit(PutTxn("k" + std::to_string(i), "v")).status().code());
    outcomes.push_back(store.Get("k" + std::to_string(i)).status().code());
  }
  return outcomes;
}

TEST(FaultMetaStoreTest, SameSeedGivesSameFaults) {
  auto first = RunScript(42);
  EXPECT_EQ(first, RunScript(42));
  EXPECT_NE(first, RunScript(43));
  for (ErrorCode code : {ErrorCode::kOk, ErrorCode::kIOError, ErrorCode::kUnavailable}) {
    EXPECT_NE(std::find(first.begin(), first.end(), code), first.end())
        << "expected some " << ErrorCodeName(code);
  }
}

TEST(FaultMetaStoreTest, FailAfterApplyAppliesTheCommit) {
  FaultMetaStore store(PrivateMemStore(), {});
  store.FailNext(1, FaultKind::kAfterApply);
  auto r = store.Commit(PutTxn("k", "v"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  auto kv = store.base()->Get("k");
  ASSERT_TRUE(kv.ok() && kv->has_value()) << "the commit must have been applied";
  EXPECT_EQ((*kv)->value, "v");
  EXPECT_EQ(BaseRevision(&store), 1);
  EXPECT_EQ(*store.Commit(PutTxn("k", "w")), 2);
  EXPECT_EQ(store.counters().commits_applied, 2);
}

TEST(FaultMetaStoreTest, FailBeforeApplyWritesNothing) {
  FaultMetaStore store(PrivateMemStore(), {});
  store.FailNext(2);
  EXPECT_EQ(store.Commit(PutTxn("k", "1")).status().code(), ErrorCode::kIOError);
  EXPECT_EQ(store.Commit(PutTxn("k", "2")).status().code(), ErrorCode::kIOError);
  EXPECT_FALSE((*store.base()->Get("k")).has_value());
  EXPECT_EQ(BaseRevision(&store), 0);
  EXPECT_EQ(*store.Commit(PutTxn("k", "3")), 1);
  FaultCounters counters = store.counters();
  EXPECT_EQ(counters.commit_calls, 3);
  EXPECT_EQ(counters.commits_applied, 1);
  EXPECT_EQ(counters.injected, 2);
}

TEST(FaultMetaStoreTest, CrashAfterStopsEverything) {
  FaultMetaStore store(PrivateMemStore(), {});
  store.CrashAfter(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(store.Commit(PutTxn("k", std::to_string(i))).ok());
  EXPECT_FALSE(store.crashed());
  EXPECT_EQ(store.Commit(PutTxn("k", "3")).status().code(), ErrorCode::kIOError);
  EXPECT_TRUE(store.crashed());
  EXPECT_FALSE(store.Commit(PutTxn("k", "4")).ok());
  EXPECT_FALSE(store.Snapshot().ok());
  EXPECT_FALSE(store.Get("k").ok());
  EXPECT_EQ(BaseRevision(&store), 3);
  EXPECT_EQ((*store.base()->Get("k"))->value, "2");
}

TEST(FaultMetaStoreTest, CrashAfterApplyKeepsTheLastCommit) {
  FaultMetaStore store(PrivateMemStore(), {});
  store.CrashAfter(1, FaultKind::kAfterApply);
  EXPECT_TRUE(store.Commit(PutTxn("k", "1")).ok());
  EXPECT_EQ(store.Commit(PutTxn("k", "2")).status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(store.crashed());
  EXPECT_EQ((*store.base()->Get("k"))->value, "2");
}

TEST(FaultMetaStoreTest, CrashFailsReadsOfOpenSnapshots) {
  FaultMetaStore store(PrivateMemStore(), {});
  ASSERT_TRUE(store.Commit(PutTxn("k", "v")).ok());
  auto snapshot = store.Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE((*snapshot)->Get("k").ok());
  store.Crash();
  EXPECT_EQ((*snapshot)->Get("k").status().code(), ErrorCode::kIOError);
  EXPECT_EQ((*snapshot)->Range("", "", 10).status().code(), ErrorCode::kIOError);
}

TEST(FaultMetaStoreTest, RandomAfterApplyFaultsAreAllApplied) {
  FaultOptions options;
  options.seed = 7;
  options.fail_after_apply_percent = 50;
  FaultMetaStore store(PrivateMemStore(), options);
  int ok = 0, lost_acks = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = store.Commit(PutTxn("k" + std::to_string(i), "v"));
    if (r.ok()) {
      ++ok;
    } else {
      ASSERT_EQ(r.status().code(), ErrorCode::kUnavailable);
      ++lost_acks;
    }
  }
  EXPECT_GT(lost_acks, 0);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(BaseRevision(&store), 100) << "every commit was applied";
  EXPECT_EQ(store.counters().commits_applied, 100);
}

TEST(FaultMetaStoreTest, SnapshotFaultsFailReadsOnly) {
  FaultOptions options;
  options.fail_snapshot_read_percent = 100;
  FaultMetaStore store(PrivateMemStore(), options);
  EXPECT_TRUE(store.Commit(PutTxn("k", "v")).ok());
  EXPECT_EQ(store.Snapshot().status().code(), ErrorCode::kIOError);
  EXPECT_EQ(store.counters().snapshot_reads, 1);
}

// etcd compaction removes old revisions, never the newest: a snapshot's first read (and
// so every one-read Get) passes, later reads through it may be Aborted.
TEST(FaultMetaStoreTest, CompactedFaultsHitOnlyLaterReadsOfASnapshot) {
  FaultOptions options;
  options.compacted_read_percent = 100;
  FaultMetaStore store(PrivateMemStore(), options);
  ASSERT_TRUE(store.Commit(PutTxn("k", "v")).ok());
  EXPECT_TRUE(store.Get("k").ok());
  EXPECT_TRUE(store.Range("", "", 10).ok());
  auto snapshot = store.Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE((*snapshot)->Range("", "", 10).ok());
  EXPECT_EQ((*snapshot)->Get("k").status().code(), ErrorCode::kAborted);
  EXPECT_EQ(store.counters().compacted, 1);
}

TEST(FaultMetaStoreTest, DescribesTheWrappedStore) {
  FaultMetaStore store(PrivateMemStore(), {});
  EXPECT_EQ(store.DescribeForLog(), "fault+mem://");
}

}  // namespace
}  // namespace cairn
