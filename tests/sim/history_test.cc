// History: the state at a changelog seq and at an epoch (docs/pitr.md: replay stops at
// the first record past the target, so the answer is a prefix of the changelog).
#include <gtest/gtest.h>

#include "sim/timeline.h"

namespace cairn::sim {
namespace {

HistoryEntry Entry(uint64_t seq, uint64_t epoch, const std::string& user) {
  auto state = std::make_shared<ClientState>();
  state->users.insert(user);
  HistoryEntry e;
  e.seq = seq;
  e.epoch = epoch;
  e.state = state;
  e.ssts = std::make_shared<const SstSet>();
  return e;
}

History Make() {
  History h(Entry(0, 0, "base"));
  h.Append(Entry(1, 100, "a"));
  h.Append(Entry(2, 200, "b"));
  h.Append(Entry(3, 150, "c"));  // an epoch below its predecessor's
  h.Append(Entry(4, 300, "d"));
  return h;
}

TEST(HistoryTest, AtSeqIsTheLastEntryAtOrBefore) {
  History h = Make();
  EXPECT_EQ(h.AtSeq(0).seq, 0u);
  EXPECT_EQ(h.AtSeq(2).seq, 2u);
  EXPECT_EQ(h.AtSeq(99).seq, 4u);
}

TEST(HistoryTest, AtEpochStopsAtTheFirstRecordPastTheTarget) {
  History h = Make();
  EXPECT_EQ(h.AtEpoch(50).seq, 0u);
  EXPECT_EQ(h.AtEpoch(100).seq, 1u);
  EXPECT_EQ(h.AtEpoch(199).seq, 1u);
  // Seq 3 (epoch 150) is at or before 160, but replay stopped at seq 2 (epoch 200).
  EXPECT_EQ(h.AtEpoch(160).seq, 1u);
  EXPECT_EQ(h.AtEpoch(200).seq, 3u);
  EXPECT_EQ(h.AtEpoch(1000).seq, 4u);
}

TEST(HistoryTest, HistoriesStartAtTheirBase) {
  History h(Entry(40, 0, "restored"));
  h.Append(Entry(41, 500, "x"));
  EXPECT_EQ(h.AtSeq(10).seq, 40u);
  EXPECT_EQ(h.AtEpoch(499).seq, 40u);
  EXPECT_EQ(h.AtEpoch(500).seq, 41u);
}

TEST(ModelStateTest, DiffNamesTheDifferences) {
  ClientState a, b;
  a.tables["t"] = TableState{1, std::make_shared<const Rows>(Rows{{"k1", "v"}, {"k2", "w"}})};
  b.tables["t"] = TableState{1, std::make_shared<const Rows>(Rows{{"k1", "v"}})};
  b.users.insert("u");
  EXPECT_TRUE(SameState(a, a));
  EXPECT_FALSE(SameState(a, b));
  std::string diff = DiffStates(a, b);
  EXPECT_NE(diff.find("table t key k2: expected 'w', got absent"), std::string::npos) << diff;
  EXPECT_NE(diff.find("user u: not expected, present"), std::string::npos) << diff;
  EXPECT_EQ(DescribeState(a), "1 tables (2 rows), 0 users, 0 params");
}

}  // namespace
}  // namespace cairn::sim
