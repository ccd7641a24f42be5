#include "meta_store_conformance.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <random>
#include <thread>

namespace cairn::testing {
namespace {

std::string UniqueTestId() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name;
  for (char c : std::string(info->name())) {
    if (std::isalnum(static_cast<unsigned char>(c)) && name.size() < 24) {
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  std::random_device rd;
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), "_%d_%08x", static_cast<int>(getpid()), rd());
  return name + suffix;
}

std::string Numbered(const std::string& prefix, int i, int width = 8) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*d", width, i);
  return prefix + buf;
}

Txn PutTxn(std::vector<std::pair<std::string, std::string>> kvs) {
  Txn txn;
  for (auto& [k, v] : kvs) txn.ops.push_back(Op::Put(k, v));
  return txn;
}

// Same keys, values and revisions (for readable failure messages).
std::vector<std::string> Describe(const std::vector<KeyValue>& kvs) {
  std::vector<std::string> out;
  for (const auto& kv : kvs) {
    out.push_back(kv.key + "=" + kv.value + "@" + std::to_string(kv.mod_revision));
  }
  return out;
}

}  // namespace

std::string MetaStoreConformanceName(
    const ::testing::TestParamInfo<MetaStoreConformanceParam>& info) {
  return info.param.name;
}

void MetaStoreConformance::SetUp() {
  test_id_ = UniqueTestId();
  auto store = GetParam().open(test_id_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
}

void MetaStoreConformance::TearDown() {
  store_.reset();
  if (GetParam().cleanup) GetParam().cleanup(test_id_);
}

void MetaStoreConformance::Reopen() {
  store_.reset();
  auto store = GetParam().open(test_id_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
}

int64_t MetaStoreConformance::MustCommit(const Txn& txn) {
  auto revision = store_->Commit(txn);
  if (!revision.ok()) {
    ADD_FAILURE() << "commit failed: " << revision.status().ToString();
    return -1;
  }
  return *revision;
}

int64_t MetaStoreConformance::MustPut(const std::string& key, const std::string& value) {
  return MustCommit(PutTxn({{key, value}}));
}

std::optional<KeyValue> MetaStoreConformance::MustGet(const std::string& key) {
  auto kv = store_->Get(key);
  if (!kv.ok()) {
    ADD_FAILURE() << "get failed: " << kv.status().ToString();
    return std::nullopt;
  }
  return *kv;
}

std::vector<KeyValue> MetaStoreConformance::ScanAll(MetaSnapshot* snapshot,
                                                    const std::string& begin,
                                                    const std::string& end, size_t page) {
  std::vector<KeyValue> out;
  std::string from = begin;
  while (true) {
    auto batch = snapshot->Range(from, end, page);
    if (!batch.ok()) {
      ADD_FAILURE() << "range failed: " << batch.status().ToString();
      return out;
    }
    EXPECT_LE(batch->size(), page);
    for (auto& kv : *batch) out.push_back(std::move(kv));
    if (batch->size() < page) return out;
    from = out.back().key + std::string(1, '\0');
  }
}

TEST_P(MetaStoreConformance, EmptyStoreHasRevisionZero) {
  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->revision(), 0);
  auto kv = (*snapshot)->Get("a");
  ASSERT_TRUE(kv.ok());
  EXPECT_FALSE(kv->has_value());
  auto range = (*snapshot)->Range("", "", 10);
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->empty());
  EXPECT_EQ(MustCommit(Txn{}), 0);
}

TEST_P(MetaStoreConformance, PutGetDelete) {
  EXPECT_EQ(MustPut("a", "1"), 1);
  auto kv = MustGet("a");
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->key, "a");
  EXPECT_EQ(kv->value, "1");
  EXPECT_EQ(kv->mod_revision, 1);

  EXPECT_EQ(MustPut("a", "2"), 2);
  EXPECT_EQ(MustGet("a")->value, "2");
  EXPECT_EQ(MustGet("a")->mod_revision, 2);

  EXPECT_EQ(MustPut("empty", ""), 3);
  ASSERT_TRUE(MustGet("empty").has_value()) << "an empty value is a present key";
  EXPECT_EQ(MustGet("empty")->value, "");

  Txn del;
  del.ops.push_back(Op::Delete("a"));
  EXPECT_EQ(MustCommit(del), 4);
  EXPECT_FALSE(MustGet("a").has_value());
  EXPECT_TRUE(MustGet("empty").has_value());
}

TEST_P(MetaStoreConformance, DeleteOfMissingKeySucceedsAndCountsAsWrite) {
  EXPECT_EQ(MustPut("x", "1"), 1);
  Txn del;
  del.ops.push_back(Op::Delete("missing"));
  EXPECT_EQ(MustCommit(del), 2);
  EXPECT_FALSE(MustGet("missing").has_value());
  EXPECT_EQ(MustGet("x")->mod_revision, 1);
}

TEST_P(MetaStoreConformance, RevisionBumpsByOnePerWriteCommitAndStampsKeys) {
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(MustCommit(PutTxn({{"k" + std::to_string(i), "v"}, {"common", std::to_string(i)}})),
              i);
    EXPECT_EQ(MustGet("k" + std::to_string(i))->mod_revision, i);
    EXPECT_EQ(MustGet("common")->mod_revision, i);
  }
  EXPECT_EQ(MustGet("k1")->mod_revision, 1) << "untouched keys keep their mod_revision";

  Txn compare_only;
  compare_only.compares.push_back(Compare::Exists("k1"));
  EXPECT_EQ(MustCommit(compare_only), 5) << "a txn without ops does not write";

  EXPECT_EQ(MustCommit(PutTxn({{"x", "1"}, {"y", "2"}, {"z", "3"}})), 6);
  for (const char* key : {"x", "y", "z"}) EXPECT_EQ(MustGet(key)->mod_revision, 6) << key;
  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->revision(), 6);
}

TEST_P(MetaStoreConformance, CompareRevisionEquals) {
  Txn create;
  create.compares.push_back(Compare::RevisionEquals("k", 0));  // 0 = absent
  create.ops.push_back(Op::Put("k", "v1"));
  EXPECT_EQ(MustCommit(create), 1);

  Txn again = create;
  again.ops[0].value = "v2";
  auto conflict = store_->Commit(again);
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(conflict.status().IsConflict()) << conflict.status().ToString();
  EXPECT_EQ(MustGet("k")->value, "v1");

  Txn update;
  update.compares.push_back(Compare::RevisionEquals("k", 1));
  update.ops.push_back(Op::Put("k", "v2"));
  EXPECT_EQ(MustCommit(update), 2) << "a failed commit does not consume a revision";
  EXPECT_EQ(MustGet("k")->value, "v2");

  auto stale = store_->Commit(update);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.status().IsConflict());
  EXPECT_EQ(MustGet("k")->value, "v2");
}

TEST_P(MetaStoreConformance, CompareValueEquals) {
  MustPut("k", "a");
  Txn swap;
  swap.compares.push_back(Compare::ValueEquals("k", "a"));
  swap.ops.push_back(Op::Put("k", "b"));
  EXPECT_EQ(MustCommit(swap), 2);
  auto conflict = store_->Commit(swap);
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(conflict.status().IsConflict());
  EXPECT_EQ(MustGet("k")->value, "b");

  Txn absent;
  absent.compares.push_back(Compare::ValueEquals("missing", ""));
  absent.ops.push_back(Op::Put("other", "x"));
  auto absent_result = store_->Commit(absent);
  ASSERT_FALSE(absent_result.ok()) << "an absent key does not equal the empty value";
  EXPECT_TRUE(absent_result.status().IsConflict());
  EXPECT_FALSE(MustGet("other").has_value());

  MustPut("empty", "");
  Txn empty;
  empty.compares.push_back(Compare::ValueEquals("empty", ""));
  empty.ops.push_back(Op::Put("other", "x"));
  EXPECT_EQ(MustCommit(empty), 4);
}

TEST_P(MetaStoreConformance, CompareExistsAndAbsent) {
  Txn exists;
  exists.compares.push_back(Compare::Exists("k"));
  exists.ops.push_back(Op::Put("log", "exists"));
  Txn absent;
  absent.compares.push_back(Compare::Absent("k"));
  absent.ops.push_back(Op::Put("k", "1"));

  auto r = store_->Commit(exists);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict());
  EXPECT_EQ(MustCommit(absent), 1);
  r = store_->Commit(absent);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict());
  EXPECT_EQ(MustCommit(exists), 2);
  EXPECT_EQ(MustGet("log")->value, "exists");
}

TEST_P(MetaStoreConformance, FailedCompareWritesNothing) {
  MustCommit(PutTxn({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
  auto before = store_->Range("", "", 100);
  ASSERT_TRUE(before.ok());

  Txn txn;
  txn.compares.push_back(Compare::Exists("a"));
  txn.compares.push_back(Compare::ValueEquals("b", "2"));
  txn.compares.push_back(Compare::RevisionEquals("c", 99));  // fails
  txn.ops.push_back(Op::Put("a", "changed"));
  txn.ops.push_back(Op::Put("new", "x"));
  txn.ops.push_back(Op::Delete("b"));
  txn.ops.push_back(Op::DeleteRange("c", "e"));
  auto result = store_->Commit(txn);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsConflict()) << result.status().ToString();

  auto after = store_->Range("", "", 100);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Describe(*after), Describe(*before));
  EXPECT_EQ(MustPut("z", "1"), 2) << "the failed commit must not have bumped the revision";
}

TEST_P(MetaStoreConformance, OpsApplyInOrder) {
  MustPut("j", "old");
  Txn txn;
  txn.ops.push_back(Op::Put("k", "1"));
  txn.ops.push_back(Op::Delete("k"));
  txn.ops.push_back(Op::Put("k", "2"));
  txn.ops.push_back(Op::Put("j", "new"));
  txn.ops.push_back(Op::DeleteRange("j", "k"));
  txn.ops.push_back(Op::Put("m", "1"));
  EXPECT_EQ(MustCommit(txn), 2);
  EXPECT_EQ(MustGet("k")->value, "2");
  EXPECT_EQ(MustGet("k")->mod_revision, 2);
  EXPECT_FALSE(MustGet("j").has_value());
  EXPECT_EQ(MustGet("m")->value, "1");
}

TEST_P(MetaStoreConformance, DeleteRange) {
  MustCommit(PutTxn({{"a", "1"}, {"b", "2"}, {"b1", "3"}, {"c", "4"}, {"d", "5"}, {"e", "6"}}));
  Txn txn;
  txn.ops.push_back(Op::DeleteRange("b", "d"));
  EXPECT_EQ(MustCommit(txn), 2);
  auto keys = store_->Range("", "", 100);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(Describe(*keys), (std::vector<std::string>{"a=1@1", "d=5@1", "e=6@1"}));

  Txn unbounded;
  unbounded.ops.push_back(Op::DeleteRange("d", ""));
  EXPECT_EQ(MustCommit(unbounded), 3);
  keys = store_->Range("", "", 100);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(Describe(*keys), (std::vector<std::string>{"a=1@1"}));

  Txn nothing;
  nothing.ops.push_back(Op::DeleteRange("x", "y"));
  EXPECT_EQ(MustCommit(nothing), 4);
  EXPECT_TRUE(MustGet("a").has_value());
}

TEST_P(MetaStoreConformance, PrefixRangeWithPaging) {
  Txn load;
  for (int i = 0; i < 30; ++i) load.ops.push_back(Op::Put(Numbered("a/", i, 2), "a"));
  for (int i = 0; i < 57; ++i) load.ops.push_back(Op::Put(Numbered("b/", i, 2), std::to_string(i)));
  for (int i = 0; i < 10; ++i) load.ops.push_back(Op::Put(Numbered("c/", i, 2), "c"));
  load.ops.push_back(Op::Put("b", "outside"));
  load.ops.push_back(Op::Put("b0", "outside"));  // == PrefixEnd("b/"), excluded
  MustCommit(load);

  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  auto all = ScanAll(snapshot->get(), "b/", PrefixEnd("b/"), 7);
  ASSERT_EQ(all.size(), 57u);
  for (int i = 0; i < 57; ++i) {
    EXPECT_EQ(all[i].key, Numbered("b/", i, 2));
    EXPECT_EQ(all[i].value, std::to_string(i));
  }

  auto one = (*snapshot)->Range("", "", 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].key, "a/00");

  auto wide = (*snapshot)->Range("c/", PrefixEnd("c/"), 1000);
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->size(), 10u);

  auto inverted = (*snapshot)->Range("c/", "b/", 10);
  ASSERT_TRUE(inverted.ok());
  EXPECT_TRUE(inverted->empty());

  auto none = (*snapshot)->Range("zz", "", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(MetaStoreConformance, BinaryKeysOrderByMemcmp) {
  using namespace std::string_literals;
  std::vector<std::string> keys = {"\x00"s,   "\x00\x00"s, "\x01"s,     "a"s,       "a\x00"s,
                                   "a\x00z"s, "a\xff"s,    "b"s,        "\x7f"s,    "\x80"s,
                                   "\xff"s,   "\xff\x00"s, "\xff\xff"s, "\xfe\xff"s};
  std::vector<std::string> shuffled = keys;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  for (size_t i = 0; i < shuffled.size(); i += 3) {
    Txn txn;
    for (size_t j = i; j < std::min(i + 3, shuffled.size()); ++j) {
      txn.ops.push_back(Op::Put(shuffled[j], "v\x00\xff"s + shuffled[j]));
    }
    MustCommit(txn);
  }
  std::sort(keys.begin(), keys.end());  // char_traits<char> compares like memcmp
  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  auto all = ScanAll(snapshot->get(), "", "", 4);
  ASSERT_EQ(all.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(all[i].key, keys[i]) << i;
    EXPECT_EQ(all[i].value, "v\x00\xff"s + keys[i]);
    auto got = (*snapshot)->Get(keys[i]);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value()) << i;
    EXPECT_EQ((*got)->value, "v\x00\xff"s + keys[i]);
  }

  auto ff = ScanAll(snapshot->get(), "\xff"s, PrefixEnd("\xff"s), 2);
  ASSERT_EQ(ff.size(), 3u);
  EXPECT_EQ(ff[0].key, "\xff"s);
  EXPECT_EQ(ff[2].key, "\xff\xff"s);
  auto a0 = ScanAll(snapshot->get(), "a\x00"s, PrefixEnd("a\x00"s), 10);
  ASSERT_EQ(a0.size(), 2u);
  EXPECT_EQ(a0[1].key, "a\x00z"s);
  auto missing = (*snapshot)->Get("a\x00\x00"s);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value()) << "keys are not truncated at a NUL byte";
}

TEST_P(MetaStoreConformance, SnapshotsAtDifferentRevisionsSeeTheirOwnState) {
  std::vector<std::unique_ptr<MetaSnapshot>> snapshots;
  for (int i = 0; i < 8; ++i) {
    Txn txn;
    txn.ops.push_back(Op::Put("v", std::to_string(i)));
    if (i % 2 == 1) txn.ops.push_back(Op::Delete("gone" + std::to_string(i - 1)));
    txn.ops.push_back(Op::Put("gone" + std::to_string(i), "x"));
    MustCommit(txn);
    auto snapshot = store_->Snapshot();
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    snapshots.push_back(std::move(snapshot).value());
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(snapshots[i]->revision(), i + 1);
    auto v = snapshots[i]->Get("v");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ((*v)->value, std::to_string(i));
    auto keys = snapshots[i]->Range("gone", PrefixEnd("gone"), 100);
    ASSERT_TRUE(keys.ok());
    // "goneJ" is written at revision J+1 and deleted at J+2 when J is even.
    size_t expected = 0;
    for (int j = 0; j <= i; ++j) expected += (j % 2 == 1 || j == i) ? 1 : 0;
    EXPECT_EQ(keys->size(), expected) << "snapshot " << i;
  }
}

TEST_P(MetaStoreConformance, SnapshotIsStableWhileConcurrentWritersCommit) {
  constexpr int kKeys = 100, kWriters = 4, kCommitsPerWriter = 20;
  Txn load;
  for (int i = 0; i < kKeys; ++i) load.ops.push_back(Op::Put(Numbered("s/", i, 3), "base"));
  const int64_t base = MustCommit(load);

  auto snapshot_or = store_->Snapshot();
  ASSERT_TRUE(snapshot_or.ok());
  std::unique_ptr<MetaSnapshot> snapshot = std::move(snapshot_or).value();
  const std::vector<std::string> baseline = Describe(ScanAll(snapshot.get(), "", "", 17));
  ASSERT_EQ(baseline.size(), static_cast<size_t>(kKeys));

  std::atomic<int> finished{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kCommitsPerWriter; ++i) {
        int victim = (w * kCommitsPerWriter + i) % kKeys;
        Txn txn;
        txn.ops.push_back(Op::Put(Numbered("s/", (victim + 50) % kKeys, 3), "overwritten"));
        txn.ops.push_back(Op::Put("s/new/" + std::to_string(w) + "/" + std::to_string(i), "n"));
        txn.ops.push_back(Op::Delete(Numbered("s/", victim, 3)));
        auto r = store_->Commit(txn);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
      finished.fetch_add(1);
    });
  }
  int rounds = 0;
  while (finished.load() < kWriters || rounds == 0) {
    ++rounds;
    auto now = Describe(ScanAll(snapshot.get(), "", "", 17));
    if (now != baseline) {
      ADD_FAILURE() << "the snapshot changed while writers committed (round " << rounds << ")";
      break;
    }
    auto one = snapshot->Get("s/000");
    if (!one.ok() || !one->has_value() || (*one)->value != "base") {
      ADD_FAILURE() << "snapshot Get changed while writers committed";
      break;
    }
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(Describe(ScanAll(snapshot.get(), "", "", 17)), baseline);
  EXPECT_EQ(snapshot->revision(), base);

  auto fresh = store_->Snapshot();
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->revision(), base + kWriters * kCommitsPerWriter);
  auto added = ScanAll(fresh->get(), "s/new/", PrefixEnd("s/new/"), 1000);
  EXPECT_EQ(added.size(), static_cast<size_t>(kWriters * kCommitsPerWriter));
}

TEST_P(MetaStoreConformance, MultiKeyCommitsAreAtomicToReaders) {
  constexpr int kKeys = 10, kCommits = 60;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= kCommits; ++i) {
      Txn txn;
      for (int k = 0; k < kKeys; ++k)
        txn.ops.push_back(Op::Put(Numbered("atom/", k, 2), std::to_string(i)));
      auto r = store_->Commit(txn);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    done = true;
  });
  // Every snapshot sees either none or all keys of a commit, all from one commit.
  auto check = [&] {
    auto snapshot = store_->Snapshot();
    ASSERT_TRUE(snapshot.ok());
    auto kvs = (*snapshot)->Range("atom/", PrefixEnd("atom/"), 100);
    ASSERT_TRUE(kvs.ok());
    if (kvs->empty()) return;
    ASSERT_EQ(kvs->size(), static_cast<size_t>(kKeys)) << "a partial commit is visible";
    for (const auto& kv : *kvs) {
      EXPECT_EQ(kv.value, (*kvs)[0].value);
      EXPECT_EQ(kv.mod_revision, (*kvs)[0].mod_revision);
      EXPECT_LE(kv.mod_revision, (*snapshot)->revision());
    }
  };
  while (!done.load() && !HasFailure()) check();
  writer.join();
  check();
  auto last = MustGet(Numbered("atom/", kKeys - 1, 2));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->value, std::to_string(kCommits));
}

TEST_P(MetaStoreConformance, ConcurrentIncrementsWithCompareOnRevision) {
  constexpr int kThreads = 4, kIncrementsPerThread = 15, kMaxAttempts = 10'000;
  const int64_t base = MustPut("counter", "0");
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      int done = 0;
      for (int attempt = 0; attempt < kMaxAttempts && done < kIncrementsPerThread; ++attempt) {
        auto kv = store_->Get("counter");
        ASSERT_TRUE(kv.ok() && kv->has_value());
        Txn txn;
        txn.compares.push_back(Compare::RevisionEquals("counter", (*kv)->mod_revision));
        txn.ops.push_back(Op::Put("counter", std::to_string(std::stoi((*kv)->value) + 1)));
        auto r = store_->Commit(txn);
        if (r.ok()) {
          ++done;
        } else {
          ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
          ++conflicts;
        }
      }
      EXPECT_EQ(done, kIncrementsPerThread);
    });
  }
  for (auto& t : threads) t.join();
  auto counter = MustGet("counter");
  ASSERT_TRUE(counter.has_value());
  EXPECT_EQ(counter->value, std::to_string(kThreads * kIncrementsPerThread))
      << conflicts.load() << " conflicts";
  EXPECT_EQ(counter->mod_revision, base + kThreads * kIncrementsPerThread)
      << "every successful increment is exactly one revision";
}

// Values as large as one commit within the store's BulkTxnLimits may carry.
TEST_P(MetaStoreConformance, LargeValues) {
  const MetaStore::TxnLimits limits = store_->BulkTxnLimits();
  const size_t size = std::min(GetParam().large_value_bytes, limits.max_bytes - 4096);
  std::string big(size, '\0');
  for (size_t i = 0; i < size; ++i) big[i] = static_cast<char>((i * 7 + i / 4096) & 0xFF);
  std::string big2 = big;
  big2[size / 2] ^= 1;
  EXPECT_EQ(MustCommit(PutTxn({{"big", big}, {"small", "s"}})), 1);
  EXPECT_EQ(MustCommit(PutTxn({{"big2", big2}})), 2);

  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  auto got = (*snapshot)->Get("big");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->value == big) << "value differs (" << (*got)->value.size() << " bytes)";
  auto range = (*snapshot)->Range("big", "c", 10);
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 2u);
  EXPECT_TRUE((*range)[1].value == big2);
}

// A commit of BulkTxnLimits().max_ops puts totalling max_bytes succeeds. One beyond the
// server's own limits (when it has any) is InvalidArgument naming the limit, and writes
// nothing; where the server has none, BulkTxnLimits is advice and the same commit applies.
TEST_P(MetaStoreConformance, CommitsWithinTheLimitsApplyAndBeyondThemFailCleanly) {
  const MetaStore::TxnLimits limits = store_->BulkTxnLimits();
  const size_t value_bytes = limits.max_bytes / limits.max_ops - 32;
  Txn within;
  for (size_t i = 0; i < limits.max_ops; ++i) {
    within.ops.push_back(
        Op::Put(Numbered("in/", static_cast<int>(i)), std::string(value_bytes, 'w')));
  }
  const int64_t base = MustCommit(within);
  ASSERT_EQ(base, 1);
  auto in = store_->Range("in/", PrefixEnd("in/"), limits.max_ops + 1);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->size(), limits.max_ops);

  struct Over {
    const char* what;
    Txn txn;
    size_t server_limit;
    const char* flag;
  };
  std::vector<Over> overs;
  const size_t ops = std::max(GetParam().server_max_txn_ops, limits.max_ops) + 8;
  Over many{"too many ops", {}, GetParam().server_max_txn_ops, "--max-txn-ops"};
  for (size_t i = 0; i < ops; ++i)
    many.txn.ops.push_back(Op::Put(Numbered("many/", static_cast<int>(i)), "v"));
  overs.push_back(std::move(many));
  const size_t bytes = std::max(GetParam().server_max_request_bytes, limits.max_bytes) + 4096;
  Over big{"too many bytes", {}, GetParam().server_max_request_bytes, "--max-request-bytes"};
  big.txn.ops.push_back(Op::Put("big/a", std::string(bytes / 2, 'a')));
  big.txn.ops.push_back(Op::Put("big/b", std::string(bytes / 2, 'b')));
  overs.push_back(std::move(big));

  int64_t revision = base;
  for (auto& over : overs) {
    auto first = MustGet(Numbered("in/", 0));
    ASSERT_TRUE(first.has_value());
    over.txn.compares.push_back(Compare::RevisionEquals(Numbered("in/", 0), first->mod_revision));
    over.txn.ops.push_back(Op::Delete(Numbered("in/", 0)));
    auto r = store_->Commit(over.txn);
    if (over.server_limit == 0) {
      ASSERT_TRUE(r.ok()) << over.what << ": " << r.status().ToString();
      EXPECT_EQ(*r, ++revision) << over.what;
      EXPECT_FALSE(MustGet(Numbered("in/", 0)).has_value()) << over.what;
      MustPut(Numbered("in/", 0), "restored");
      ++revision;
      continue;
    }
    ASSERT_FALSE(r.ok()) << over.what << " was accepted";
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(over.flag), std::string::npos) << r.status().ToString();
    auto snapshot = store_->Snapshot();
    ASSERT_TRUE(snapshot.ok());
    EXPECT_EQ((*snapshot)->revision(), revision) << over.what << " must not write";
    auto kept = (*snapshot)->Get(Numbered("in/", 0));
    ASSERT_TRUE(kept.ok() && kept->has_value()) << over.what << " applied its delete";
    for (const std::string prefix : {"big/", "many/"}) {
      auto stray = (*snapshot)->Range(prefix, PrefixEnd(prefix), 1);
      ASSERT_TRUE(stray.ok());
      EXPECT_TRUE(stray->empty()) << over.what << " applied a put under " << prefix;
    }
  }
}

TEST_P(MetaStoreConformance, OversizedKeysAndValuesAreRejectedAndNothingIsWritten) {
  Txn long_key = PutTxn({{"ok", "1"}, {std::string(kMaxMetaKeySize + 1, 'k'), "v"}});
  auto r = store_->Commit(long_key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().ToString();

  Txn big_value = PutTxn({{"ok", "1"}, {"big", std::string(kMaxMetaValueSize + 1, 'v')}});
  r = store_->Commit(big_value);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().ToString();

  Txn empty_key = PutTxn({{"ok", "1"}, {"", "v"}});
  r = store_->Commit(empty_key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);

  EXPECT_FALSE(MustGet("ok").has_value());
  std::string max_key(kMaxMetaKeySize, '\xff');
  EXPECT_EQ(MustPut(max_key, "v"), 1) << "the first successful commit is revision 1";
  EXPECT_EQ(MustGet(max_key)->value, "v");
}

TEST_P(MetaStoreConformance, MillionKeyRangeScanInPages) {
  const int n = static_cast<int>(GetParam().scan_keys);
  const int batch = static_cast<int>(store_->BulkTxnLimits().max_ops);
  int64_t revision = 0;
  for (int start = 0; start < n; start += batch) {
    Txn txn;
    txn.ops.reserve(batch);
    for (int i = start; i < std::min(n, start + batch); ++i) {
      txn.ops.push_back(Op::Put(Numbered("scan/", i), std::to_string(i * 3)));
    }
    revision = MustCommit(txn);
  }
  MustPut("scan", "before the prefix");
  MustPut("scan0", "after the prefix");

  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  constexpr size_t kPage = 10'000;
  std::string from = "scan/";
  const std::string end = PrefixEnd("scan/");
  int next = 0;
  while (true) {
    auto page = (*snapshot)->Range(from, end, kPage);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& kv : *page) {
      ASSERT_EQ(kv.key, Numbered("scan/", next));
      ASSERT_EQ(kv.value, std::to_string(next * 3));
      ASSERT_LE(kv.mod_revision, revision);
      ++next;
    }
    if (page->size() < kPage) break;
    from = page->back().key + std::string(1, '\0');
  }
  EXPECT_EQ(next, n);
}

TEST_P(MetaStoreConformance, ReopenSeesEverything) {
  using namespace std::string_literals;
  MustCommit(PutTxn({{"a", "1"}, {"b", "2"}, {"bin\x00\xff"s, "\x00\x01"s}}));
  MustPut("a", "3");
  Txn del;
  del.ops.push_back(Op::Delete("b"));
  const int64_t last = MustCommit(del);
  auto before = store_->Range("", "", 100);
  ASSERT_TRUE(before.ok());

  Reopen();
  auto after = store_->Range("", "", 100);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(Describe(*after), Describe(*before));
  EXPECT_EQ(after->size(), 2u);
  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->revision(), last);
  EXPECT_EQ(MustPut("c", "4"), last + 1);
}

}  // namespace cairn::testing
