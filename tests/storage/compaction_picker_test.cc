// CompactionPicker and LevelSizing on hand-made versions: which SSTs one compaction takes.
#include "storage/compaction_picker.h"

#include <gtest/gtest.h>

#include <limits>

#include "sst/internal_key.h"
#include "storage/compaction_reservations.h"

namespace cairn {
namespace {

std::string Ikey(const std::string& user_key, uint64_t epoch) {
  std::string k;
  sst::AppendInternalKey(&k, sst::MakeUserPart(1, user_key), epoch, sst::ValueKind::kPut);
  return k;
}

SstMeta Sst(uint64_t id, int level, const std::string& lo, const std::string& hi, uint64_t epoch,
            uint64_t size = 100) {
  SstMeta m;
  m.object_id = id;
  m.level = level;
  m.smallest_key = Ikey(lo, epoch);
  m.largest_key = Ikey(hi, epoch);
  m.min_epoch = m.max_epoch = epoch;
  m.file_size = size;
  m.table_ids = {1};
  return m;
}

std::set<uint64_t> Ids(const Compaction& c) {
  std::set<uint64_t> ids;
  for (const SstRef& f : c.inputs) ids.insert(f->object_id);
  return ids;
}

LevelSizing Sizing(uint64_t l0_trigger, uint64_t base) {
  return LevelSizing(LevelSizingOptions{7, l0_trigger, 0, base, 10});
}

std::shared_ptr<const Version> L0AndL1() {
  // L0 oldest first: 1 (a..b), 2 (d..e), 3 (a..e); L1: 10 (a..c), 11 (d..f), 12 (x..z).
  return *Version::Make(
      1, {Sst(1, 0, "a", "b", 1), Sst(2, 0, "d", "e", 2), Sst(3, 0, "a", "e", 3),
          Sst(10, 1, "a", "c", 0), Sst(11, 1, "d", "f", 0), Sst(12, 1, "x", "z", 0)});
}

TEST(LevelSizingTest, TargetsGrowByTheMultiplierAndTheLastLevelIsUnbounded) {
  LevelSizing sizing = Sizing(4, 1000);
  EXPECT_EQ(sizing.TargetBytes(1), 1000u);
  EXPECT_EQ(sizing.TargetBytes(2), 10000u);
  EXPECT_EQ(sizing.TargetBytes(5), 10000000u);
  EXPECT_EQ(sizing.TargetBytes(6), std::numeric_limits<uint64_t>::max());
  auto v = L0AndL1();
  EXPECT_DOUBLE_EQ(sizing.Score(*v, 0), 0.75);
  EXPECT_DOUBLE_EQ(sizing.Score(*v, 1), 0.3);
}

TEST(CompactionPickerTest, L0TakesAllOfL0AndOnlyTheL1SstsItOverlaps) {
  CompactionPicker picker(Sizing(2, 1 << 20), 1000, CommitBudget({120, 1 << 20}));
  auto c = picker.PickAuto(*L0AndL1());
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ((*c)->level, 0);
  EXPECT_EQ((*c)->output_level, 1);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{1, 2, 3, 10, 11}));
}

TEST(CompactionPickerTest, L0TakesTheOldestSstsThatFitOneCommit) {
  // 2 L0 + 2 L1 inputs: 2 outputs + 2 * 4 + 3 = 13 ops; a third L0 SST makes it 15.
  CompactionPicker picker(Sizing(2, 1 << 20), 1000, CommitBudget({14, 1 << 20}));
  auto c = picker.PickAuto(*L0AndL1());
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{1, 2, 10, 11}));
}

TEST(CompactionPickerTest, DeeperLevelPicksTheSstWithTheSmallestOverlapBelow) {
  // L1 (target 150 bytes) holds 300: compact one SST into L2.
  auto v =
      *Version::Make(1, {Sst(10, 1, "a", "c", 0), Sst(11, 1, "m", "p", 0), Sst(12, 1, "x", "z", 0),
                         Sst(20, 2, "a", "b", 0, 500), Sst(21, 2, "c", "d", 0, 500),
                         Sst(22, 2, "o", "o", 0, 50), Sst(23, 2, "y", "y", 0, 500)});
  CompactionPicker picker(Sizing(4, 150), 1000, CommitBudget({120, 1 << 20}));
  auto c = picker.PickAuto(*v);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ((*c)->level, 1);
  EXPECT_EQ((*c)->output_level, 2);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{11, 22}));
}

TEST(CompactionPickerTest, NothingFitsIsFailedPreconditionNamingTheSst) {
  CompactionPicker picker(Sizing(2, 1 << 20), 1000, CommitBudget({6, 1 << 20}));
  auto c = picker.PickAuto(*L0AndL1());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find(SstObjectKey(1)), std::string::npos) << c.status().ToString();
}

TEST(CompactionPickerTest, FullCompactionEndsWithEverySstInTheBottomLevelRewrittenOnce) {
  auto v = *Version::Make(
      1, {Sst(10, 1, "a", "c", 0), Sst(20, 2, "a", "b", 0), Sst(21, 2, "x", "z", 0)});
  CompactionPicker picker(Sizing(4, 1 << 20), 1000, CommitBudget({120, 1 << 20}));
  auto step = picker.PickFull(*v, {});
  ASSERT_TRUE(step.ok() && *step);
  EXPECT_EQ((*step)->output_level, 2);
  EXPECT_EQ(Ids(**step), (std::set<uint64_t>{10, 20}));
  // After that step (output 30 at L2), the bottom pass takes 21 only, then nothing.
  auto after = *Version::Make(2, {Sst(30, 2, "a", "c", 0), Sst(21, 2, "x", "z", 0)});
  step = picker.PickFull(*after, {30});
  ASSERT_TRUE(step.ok() && *step);
  EXPECT_EQ((*step)->level, 2);
  EXPECT_EQ((*step)->output_level, 2);
  EXPECT_EQ(Ids(**step), (std::set<uint64_t>{21}));
  step = picker.PickFull(*after, {30, 21});
  ASSERT_TRUE(step.ok());
  EXPECT_FALSE(*step);
}

TEST(LevelSizingTest, L0IsDueByBytesAsWellAsByFiles) {
  // Trigger 4 files or 250 bytes: 3 SSTs of 100 bytes are due by bytes (300 / 250).
  LevelSizing sizing(LevelSizingOptions{7, 4, 250, 1000, 10});
  EXPECT_DOUBLE_EQ(sizing.Score(*L0AndL1(), 0), 1.2);
  // 0 bytes: the L1 target (1000), so the file count decides (3 / 4).
  EXPECT_DOUBLE_EQ(Sizing(4, 1000).Score(*L0AndL1(), 0), 0.75);
}

TEST(CompactionPickerTest, OldestL0SstsOverlappingNothingMoveToL1) {
  // L0 oldest first: 1 (a..b), 2 (d..e), 3 (c..c), 4 (w..y); L1: 10 (x..z). 1, 2 and 3
  // overlap neither L1 nor each other nor 4; 4 overlaps L1.
  auto v =
      *Version::Make(1, {Sst(1, 0, "a", "b", 1), Sst(2, 0, "d", "e", 2), Sst(3, 0, "c", "c", 3),
                         Sst(4, 0, "w", "y", 4), Sst(10, 1, "x", "z", 0)});
  CompactionPicker picker(Sizing(2, 1 << 20), 1000, CommitBudget({120, 1 << 20}));
  auto c = picker.PickAuto(*v);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_TRUE((*c)->trivial_move);
  EXPECT_EQ((*c)->output_level, 1);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{1, 2, 3}));
  // The oldest overlaps L1: a merge, no move.
  v = *Version::Make(1, {Sst(1, 0, "a", "y", 1), Sst(2, 0, "d", "e", 2), Sst(10, 1, "x", "z", 0)});
  c = picker.PickAuto(*v);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_FALSE((*c)->trivial_move);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{1, 2, 10}));
}

TEST(CompactionPickerTest, L0SstOverlappedByANewerOneIsMergedNotMoved) {
  // Empty L1, but 2 overlaps 1: moving 1 would only defer rewriting it, so both merge.
  auto v = *Version::Make(1, {Sst(1, 0, "a", "m", 1), Sst(2, 0, "c", "z", 2)});
  CompactionPicker picker(Sizing(2, 1 << 20), 1000, CommitBudget({120, 1 << 20}));
  auto c = picker.PickAuto(*v);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_FALSE((*c)->trivial_move);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{1, 2}));
}

TEST(CompactionPickerTest, DeeperLevelMovesAnSstThatOverlapsNothingBelow) {
  // L1 over its target; 11 (m..p) overlaps nothing at L2.
  auto v = *Version::Make(1, {Sst(10, 1, "a", "c", 0), Sst(11, 1, "m", "p", 0),
                              Sst(20, 2, "a", "b", 0, 500), Sst(21, 2, "x", "y", 0, 50)});
  CompactionPicker picker(Sizing(4, 150), 1000, CommitBudget({120, 1 << 20}));
  auto c = picker.PickAuto(*v);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_TRUE((*c)->trivial_move);
  EXPECT_EQ((*c)->level, 1);
  EXPECT_EQ((*c)->output_level, 2);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{11}));
}

TEST(CompactionPickerTest, FullCompactionMovesARunThatOverlapsNothingBelow) {
  // L1: 10 (a..c), 11 (d..f) overlap nothing at L2 (x..z): both move; 12 overlaps 20.
  auto v = *Version::Make(1, {Sst(10, 1, "a", "c", 0), Sst(11, 1, "d", "f", 0),
                              Sst(12, 1, "x", "x", 0), Sst(20, 2, "x", "z", 0)});
  CompactionPicker picker(Sizing(4, 1 << 20), 1000, CommitBudget({120, 1 << 20}));
  auto step = picker.PickFull(*v, {});
  ASSERT_TRUE(step.ok() && *step);
  EXPECT_TRUE((*step)->trivial_move);
  EXPECT_EQ(Ids(**step), (std::set<uint64_t>{10, 11}));
}

// True when the user-key ranges over all inputs of `a` and `b` overlap.
bool RangesOverlap(const Compaction& a, const Compaction& b) {
  auto [alo, ahi] = CompactionRange(a);
  auto [blo, bhi] = CompactionRange(b);
  return alo <= bhi && blo <= ahi;
}

TEST(CompactionPickerTest, ReservationsMakeConcurrentPicksDisjointUntilReleased) {
  // L1 (target 150) holds 400 bytes: 10 (a..c) overlaps nothing at L2 (a move), 11 (f..h)
  // overlaps 21, 12 (m..p) overlaps 22, 13 (x..z) overlaps 23 and 24.
  auto v =
      *Version::Make(1, {Sst(10, 1, "a", "c", 0), Sst(11, 1, "f", "h", 0), Sst(12, 1, "m", "p", 0),
                         Sst(13, 1, "x", "z", 0), Sst(21, 2, "g", "g", 0), Sst(22, 2, "n", "q", 0),
                         Sst(23, 2, "w", "x", 0), Sst(24, 2, "y", "y", 0)});
  CompactionPicker picker(Sizing(4, 150), 1000, CommitBudget({120, 1 << 20}));
  CompactionReservations running;
  std::vector<Compaction> picked;
  std::vector<CompactionReservations::Token> tokens;
  for (;;) {
    auto c = picker.PickAuto(*v, &running);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    if (!*c) break;
    for (const Compaction& other : picked) {
      EXPECT_FALSE(RangesOverlap(**c, other)) << "overlapping compactions picked together";
    }
    ASSERT_TRUE(running.Admits(**c));
    tokens.push_back(running.Reserve(**c));
    picked.push_back(**c);
  }
  // Every L1 SST is in exactly one running compaction, each with what it overlaps below.
  ASSERT_EQ(picked.size(), 4u);
  EXPECT_EQ(running.running(), 4u);
  std::set<std::set<uint64_t>> sets;
  for (const Compaction& c : picked) sets.insert(Ids(c));
  EXPECT_EQ(sets, (std::set<std::set<uint64_t>>{{10}, {11, 21}, {12, 22}, {13, 23, 24}}));
  EXPECT_TRUE(picked[0].trivial_move) << "the move is the cheapest, picked first";
  // Released (success or failure alike), its SSTs are picked again; the others stay held.
  running.Release(tokens[1]);
  auto again = picker.PickAuto(*v, &running);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ(Ids(**again), Ids(picked[1]));
  for (uint64_t id : Ids(picked[1])) EXPECT_FALSE(running.Holds(id));
  for (uint64_t id : Ids(picked[2])) EXPECT_TRUE(running.Holds(id));
}

TEST(CompactionPickerTest, ARunningCompactionBlocksOverlappingRangesAtEveryLevel) {
  // L0 (trigger 1): 1 (b..c), due; L1 (target 150, 300 bytes): 10 (a..c), 11 (m..p),
  // 12 (x..z); L2: 20 (a..b), 22 (o..o).
  auto v = *Version::Make(
      1, {Sst(1, 0, "b", "c", 5), Sst(10, 1, "a", "c", 0), Sst(11, 1, "m", "p", 0),
          Sst(12, 1, "x", "z", 0), Sst(20, 2, "a", "b", 0), Sst(22, 2, "n", "o", 0)});
  CompactionPicker picker(Sizing(1, 150), 1000, CommitBudget({120, 1 << 20}));
  // An L1 -> L2 compaction of 10 and 20 (a..c) runs: L0's SST 1 (b..c) would merge with
  // 10, so nothing is taken out of L0 and L1 gives a disjoint SST instead.
  CompactionReservations running;
  Compaction l1;
  l1.level = 1;
  l1.output_level = 2;
  l1.inputs = {v->Find(10), v->Find(20)};
  running.Reserve(l1);
  auto c = picker.PickAuto(*v, &running);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ((*c)->level, 1);
  EXPECT_FALSE(RangesOverlap(**c, l1));
  EXPECT_FALSE(Ids(**c).count(1));
  // L1 (score 300 / 150 = 2) goes before L0 (1 file / trigger 1): with the other L1 SSTs
  // running, 10 and 20 are picked; then L0's SST 1 overlaps that compaction: nothing.
  CompactionReservations others;
  Compaction other_l1;
  other_l1.level = 1;
  other_l1.output_level = 2;
  other_l1.inputs = {v->Find(11), v->Find(22), v->Find(12)};
  others.Reserve(other_l1);
  c = picker.PickAuto(*v, &others);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ(Ids(**c), (std::set<uint64_t>{10, 20}));
  others.Reserve(**c);
  c = picker.PickAuto(*v, &others);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(*c) << "L0's SST overlaps the running L1 compaction of 10";
}

TEST(CompactionReservationsTest, AtMostOneCompactionOutOfL0AndHeldSstsAreRefused) {
  auto v = *Version::Make(1, {Sst(1, 0, "a", "b", 1), Sst(2, 0, "x", "y", 2),
                              Sst(10, 1, "m", "n", 0), Sst(11, 1, "c", "d", 0)});
  auto one = [&](int level, std::vector<uint64_t> ids) {
    Compaction c;
    c.level = level;
    c.output_level = level + 1;
    for (uint64_t id : ids) c.inputs.push_back(v->Find(id));
    return c;
  };
  CompactionReservations running;
  auto token = running.Reserve(one(0, {1}));
  EXPECT_FALSE(running.Admits(one(0, {2}))) << "a second L0 compaction, though disjoint";
  EXPECT_TRUE(running.Admits(one(1, {10})));
  EXPECT_FALSE(running.Admits(one(1, {11, 1}))) << "holds SST 1";
  EXPECT_TRUE(running.Admits(one(1, {11})));
  running.Release(token);
  EXPECT_EQ(running.running(), 0u);
  EXPECT_TRUE(running.Admits(one(0, {2})));
  EXPECT_TRUE(running.Admits(one(0, {1, 2})));
}

}  // namespace
}  // namespace cairn
