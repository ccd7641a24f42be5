// What an etcd:// commit remembers between commits (etcd_commit_state.h), and two store
// objects on one prefix, each with its own remembered state, against the test etcd:
// a commit decided on stale memory must never win.
#include "meta_store/etcd_commit_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "meta_store/etcd_test_util.h"

namespace cairn::testing {
namespace {

EtcdCommitState Known(int64_t revision, int64_t mod_rev) {
  EtcdCommitState state;
  state.valid = true;
  state.revision = revision;
  state.counter_mod_rev = mod_rev;
  return state;
}

TEST(EtcdCommitState, OnlyUnknownRevisionAndValueComparesNeedARead) {
  EtcdCommitState state = Known(3, 10);
  Txn txn;
  txn.compares = {Compare::Absent("a"), Compare::Exists("b"), Compare::RevisionEquals("c", 0)};
  EXPECT_FALSE(NeedsRead(txn, state));
  txn.compares.push_back(Compare::ValueEquals("d", "v"));
  EXPECT_TRUE(NeedsRead(txn, state));
  state.keys["d"] = KeyValue{"d", "v", 2};
  EXPECT_FALSE(NeedsRead(txn, state));
  txn.compares.push_back(Compare::RevisionEquals("e", 2));
  EXPECT_TRUE(NeedsRead(txn, state));
  EXPECT_TRUE(NeedsRead(Txn{}, EtcdCommitState{}));  // nothing known
}

TEST(EtcdCommitState, KnownKeysAreEvaluatedLocally) {
  EtcdCommitState state = Known(3, 10);
  state.keys["seq"] = KeyValue{"seq", "7", 3};
  state.keys["gone"] = std::nullopt;
  Txn txn;
  txn.compares = {Compare::ValueEquals("seq", "7"), Compare::Absent("gone"),
                  Compare::Exists("unknown")};
  EXPECT_EQ(EvaluateKnown(txn, state), Status::OK());
  txn.compares.push_back(Compare::RevisionEquals("seq", 2));
  EXPECT_TRUE(EvaluateKnown(txn, state).IsConflict());
}

TEST(EtcdCommitState, WritesUpdateKnownKeysOnly) {
  EtcdCommitState state = Known(3, 10);
  state.keys["a"] = KeyValue{"a", "old", 1};
  state.keys["m"] = KeyValue{"m", "old", 1};
  state.keys["z"] = KeyValue{"z", "old", 1};
  std::vector<Op> ops = {Op::Put("a", "new"), Op::DeleteRange("b", "n"), Op::Put("q", "x")};
  ApplyWrites(NetEffect(ops), 4, 17, &state);
  EXPECT_EQ(state.revision, 4);
  EXPECT_EQ(state.counter_mod_rev, 17);
  ASSERT_TRUE(state.keys["a"].has_value());
  EXPECT_EQ(state.keys["a"]->value, "new");
  EXPECT_EQ(state.keys["a"]->mod_revision, 4);
  EXPECT_FALSE(state.keys["m"].has_value());
  EXPECT_EQ(state.keys["z"]->value, "old");
  EXPECT_EQ(state.keys.count("q"), 0u);  // not compared before: not remembered
}

TEST(EtcdCommitState, KnownStateKeepsTheNewestAndStaysBounded) {
  EtcdKnownState known;
  Txn txn;
  txn.compares = {Compare::ValueEquals("k", "v")};
  EtcdCommitState newer = Known(5, 20);
  newer.keys["k"] = KeyValue{"k", "v", 5};
  known.Learn(newer);
  EtcdCommitState older = Known(4, 15);
  older.keys["k"] = KeyValue{"k", "stale", 4};
  known.Learn(older);
  EtcdCommitState got = known.For(txn);
  EXPECT_TRUE(got.valid);
  EXPECT_FALSE(got.fresh);
  EXPECT_EQ(got.revision, 5);
  EXPECT_EQ(got.keys["k"]->value, "v");

  EtcdCommitState big = Known(6, 21);
  for (size_t i = 0; i <= EtcdKnownState::kMaxKeys; ++i) {
    big.keys["k" + std::to_string(i)] = std::nullopt;
  }
  known.Learn(big);
  got = known.For(txn);
  EXPECT_EQ(got.revision, 6);
  EXPECT_TRUE(got.keys.empty());

  known.Forget();
  EXPECT_FALSE(known.For(txn).valid);
}

TEST(EtcdCommitState, TwoStoresOnOnePrefixNeverCommitOnStaleMemory) {
  CAIRN_REQUIRE_EXTERNAL(base, "CAIRN_TEST_ETCD_URL");
  const std::string name = "stale_" + std::to_string(getpid());
  auto a = OpenMetaStore(WithPrefix(base, name));
  auto b = OpenMetaStore(WithPrefix(base, name));
  ASSERT_TRUE(a.ok() && b.ok());
  // Both remember "seq" = 1 (a wrote it, b compared it).
  Txn init;
  init.compares = {Compare::Absent("seq")};
  init.ops = {Op::Put("seq", "1")};
  ASSERT_TRUE((*a)->Commit(init).ok());
  Txn bump;
  bump.compares = {Compare::ValueEquals("seq", "1")};
  bump.ops = {Op::Put("seq", "2")};
  ASSERT_TRUE((*b)->Commit(bump).ok());
  // a still remembers seq = 1: its compare must fail on what etcd holds.
  auto stale = (*a)->Commit(bump);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.status().IsConflict()) << stale.status().ToString();
  // And a compare that holds on the store wins, at the next revision.
  Txn next;
  next.compares = {Compare::ValueEquals("seq", "2"), Compare::Absent("other")};
  next.ops = {Op::Put("seq", "3")};
  auto committed = (*a)->Commit(next);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(*committed, 3);
  // b remembers seq = 2 at revision 2: stale again, and a plain put still gets revision 4.
  Txn plain;
  plain.ops = {Op::Put("p", "x")};
  EXPECT_EQ(*(*b)->Commit(plain), 4);
  auto kv = (*b)->Get("seq");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, "3");
  DeleteEtcdPrefix(base, name);
}

}  // namespace
}  // namespace cairn::testing
