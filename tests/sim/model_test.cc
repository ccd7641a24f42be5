// Model: follows the changelog record by record; checkpoints apply the pending write
// batches of their memtables, DDL and users come from their records, and the model
// itself notices a seq gap or an id generator going backwards.
#include "sim/model.h"

#include <gtest/gtest.h>

#include "meta/keys.h"

namespace cairn::sim {
namespace {

ChangelogRecord Record(uint64_t seq, uint64_t epoch, std::vector<Op> ops) {
  return ChangelogRecord{seq, epoch, static_cast<int64_t>(epoch >> 16), std::move(ops)};
}

ChangelogRecord Checkpoint(uint64_t seq, uint64_t epoch, uint64_t sst) {
  return Record(
      seq, epoch,
      {Op::Put(keys::SstKey(sst), "meta"), Op::Put(std::string(keys::kStorageVersion), "v")});
}

ChangelogRecord CreateTable(uint64_t seq, uint64_t epoch, const std::string& name, uint32_t id) {
  return Record(
      seq, epoch,
      {Op::Put(keys::TableNameKey(name), std::to_string(id)), Op::Put(keys::TableKey(id), "record"),
       Op::Put(std::string(keys::kCatalogVersion), "1")});
}

std::vector<WriteBatch::Entry> Puts(uint32_t table, std::vector<std::string> keys) {
  std::vector<WriteBatch::Entry> out;
  for (auto& k : keys) out.push_back({table, k, "v-" + k, false});
  return out;
}

TEST(ModelTest, CheckpointsCommitTheirMemtablesOnly) {
  Model model;
  std::string violation;
  auto created = model.Apply(CreateTable(1, 10, "t", 7), &violation);
  EXPECT_EQ(created.kinds, static_cast<uint32_t>(kTableCreate));
  model.AddPending(20, Puts(7, {"a", "b"}));
  model.AddPending(30, Puts(7, {"c"}));
  auto first = model.Apply(Checkpoint(2, 20, 100), &violation);
  EXPECT_EQ(first.kinds, static_cast<uint32_t>(kCheckpoint));
  EXPECT_EQ(model.durable().tables.at("t").rows->size(), 2u);
  EXPECT_EQ(model.pending(), 1u);  // the memtable of epoch 30 is still pending
  model.Apply(Checkpoint(3, 30, 101), &violation);
  EXPECT_EQ(model.durable().tables.at("t").rows->size(), 3u);
  EXPECT_EQ(model.pending(), 0u);
  EXPECT_EQ(*model.current().last().ssts, (SstSet{100, 101}));
  EXPECT_TRUE(violation.empty()) << violation;
  // The history keeps every state: before the second checkpoint there were two rows.
  EXPECT_EQ(model.current().AtSeq(2).state->tables.at("t").rows->size(), 2u);
}

TEST(ModelTest, WritesToADroppedTableStayInvisible) {
  Model model;
  std::string violation;
  model.Apply(CreateTable(1, 10, "t", 7), &violation);
  model.AddPending(20, Puts(7, {"a"}));
  model.Apply(Record(2, 20, {Op::Delete(keys::TableNameKey("t")), Op::Put(keys::TableKey(7), "r")}),
              &violation);
  model.Apply(Checkpoint(3, 21, 100), &violation);
  EXPECT_TRUE(model.durable().tables.empty());
  EXPECT_TRUE(violation.empty()) << violation;
}

TEST(ModelTest, CompactionsChangeSstsNotState) {
  Model model;
  std::string violation;
  model.Apply(Checkpoint(1, 10, 100), &violation);
  auto compacted =
      model.Apply(Record(2, 11,
                         {Op::Put(keys::SstKey(200), "m"), Op::Delete(keys::SstKey(100)),
                          Op::Put(keys::StaleKey(100), "11"),
                          Op::Put(std::string(keys::kStorageVersion), "v")}),
                  &violation);
  EXPECT_EQ(compacted.kinds, static_cast<uint32_t>(kCompaction));
  EXPECT_EQ(*model.current().last().ssts, (SstSet{200}));
  EXPECT_EQ(model.current().last().state, model.current().AtSeq(1).state);
}

TEST(ModelTest, NoticesGapsTwiceCreatedTablesAndIdsGoingBack) {
  {
    Model model;
    std::string violation;
    model.Apply(Record(2, 10, {Op::Put(keys::UserKey("u"), "x")}), &violation);
    EXPECT_NE(violation.find("follows seq 0"), std::string::npos) << violation;
  }
  {
    Model model;
    std::string violation;
    model.Apply(CreateTable(1, 10, "t", 1), &violation);
    model.Apply(CreateTable(2, 11, "t", 2), &violation);
    EXPECT_NE(violation.find("already live"), std::string::npos) << violation;
  }
  {
    Model model;
    std::string violation;
    model.Apply(Record(1, 10, {Op::Put(keys::IdKey("object"), "17")}), &violation);
    EXPECT_TRUE(violation.empty());
    model.Apply(Record(2, 11, {Op::Put(keys::IdKey("object"), "9")}), &violation);
    EXPECT_NE(violation.find("went from 17 to 9"), std::string::npos) << violation;
  }
}

TEST(ModelTest, UnknownKeysAreFlagged) {
  Model model;
  std::string violation;
  auto summary = model.Apply(Record(1, 10, {Op::Put("mystery/key", "x")}), &violation);
  EXPECT_TRUE(summary.kinds & kUnknown);
  EXPECT_EQ(summary.unknown_key, "mystery/key");
}

TEST(ModelTest, LineageFollowsBranchPoints) {
  Model model;
  std::string violation;
  for (uint64_t s = 1; s <= 10; ++s) {
    model.Apply(Record(s, s * 10, {Op::Put(keys::UserKey("u" + std::to_string(s)), "x")}),
                &violation);
  }
  HistoryEntry base = model.current().AtSeq(5);
  base.parent = 1;
  model.StartTimeline(base, {});  // timeline 2 branches from timeline 1 at seq 5
  EXPECT_EQ(model.timeline(), 2);
  EXPECT_TRUE(model.OnLineage(1, 5));
  EXPECT_FALSE(model.OnLineage(1, 6));  // timeline 1 after the branch point
  EXPECT_TRUE(model.OnLineage(2, 7));
  EXPECT_EQ(model.durable().users.size(), 5u);
}

}  // namespace
}  // namespace cairn::sim
