// Seeded histories of writes, deletes, DDL, users, params, compactions and vacuums over
// simulated minutes, with backups and archiver passes in between: restoring to any
// recorded instant reproduces the model at that instant, restore works after the meta
// store is lost, and --as-of reads see the model at that instant.
#include <gtest/gtest.h>

#include <vector>

#include "common/epoch.h"
#include "meta/keys.h"
#include "meta/time_spec.h"
#include "pitr/pitr_fixture.h"

namespace cairn::pitr_test {
namespace {

struct Instant {
  uint64_t epoch = 0;
  ModelState state;
};

class PitrHistoryTest : public PitrFixture, public ::testing::WithParamInterface<uint64_t> {
 protected:
  // Runs the history; returns the model at every instant after a step.
  std::vector<Instant> RunHistory(uint64_t seed, int steps) {
    Random rnd(seed);
    ModelState model;
    std::vector<Instant> instants;
    EXPECT_TRUE(service_->Create("initial").ok());
    for (int i = 0; i < steps; ++i) {
      clock_.Advance(50 + rnd.Uniform(2000));
      RandomStep(&rnd, &model);
      if (::testing::Test::HasFatalFailure()) return instants;
      // A checkpoint boundary: nothing in the memtable, so the next change gets a
      // later epoch than this instant.
      EXPECT_TRUE(source_.cluster->Flush().ok());
      instants.push_back({MaxEpochAtMillis(clock_.NowMillis()), model});
      if (rnd.Percent(30)) EXPECT_TRUE(archiver_->ArchiveOnce().ok());
    }
    auto final_pass = archiver_->ArchiveOnce();
    EXPECT_TRUE(final_pass.ok()) << final_pass.status().ToString();
    return instants;
  }
};

TEST_P(PitrHistoryTest, RestoreToEveryInstantEqualsTheModel) {
  std::vector<Instant> instants = RunHistory(GetParam(), 120);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_GT(instants.size(), 100u);
  for (size_t i = 0; i < instants.size(); ++i) {
    const Instant& at = instants[i];
    Node restored;
    PointInTimeOptions options = Options();
    // Alternate the two ways of naming the target.
    if (i % 2 == 0) {
      options.to_epoch = at.epoch;
    } else {
      options.to_time = FormatRfc3339Millis(EpochToMillis(at.epoch));
    }
    auto plan = RestoreInto(&restored, options);
    ASSERT_TRUE(plan.ok()) << "instant " << i << ": " << plan.status().ToString();
    EXPECT_TRUE(plan->written);
    EXPECT_EQ(DumpNode(&restored), at.state) << "instant " << i << " epoch " << at.epoch;
    restored.Close();
  }
}

TEST_P(PitrHistoryTest, EpochWithoutCommitsRestoresTheLastChangeBeforeIt) {
  std::vector<Instant> instants = RunHistory(GetParam() + 3000, 60);
  ASSERT_FALSE(HasFatalFailure());
  for (size_t i = 0; i < instants.size(); i += 3) {
    // One millisecond before step i's changes: nothing was committed since instant i-1.
    uint64_t epoch = MaxEpochAtMillis(EpochToMillis(instants[i].epoch) - 1);
    ModelState expected = i > 0 ? instants[i - 1].state : ModelState{};
    Node restored;
    PointInTimeOptions options = Options();
    options.to_epoch = epoch;
    auto plan = RestoreInto(&restored, options);
    ASSERT_TRUE(plan.ok()) << "before instant " << i << ": " << plan.status().ToString();
    EXPECT_EQ(DumpNode(&restored), expected) << "before instant " << i;
    restored.Close();
  }
}

TEST_P(PitrHistoryTest, MetaStoreLostRestoreToLatestFromBackupStorageAlone) {
  std::vector<Instant> instants = RunHistory(GetParam() + 1000, 60);
  ASSERT_FALSE(HasFatalFailure());
  ModelState latest = DumpNode(&source_);
  ASSERT_EQ(latest, instants.back().state);
  auto ids_before = *source_.meta->Get(keys::IdKey("object"));
  ASSERT_TRUE(ids_before.has_value());
  source_.Close();
  // Lose the meta store: every key is gone.
  ASSERT_TRUE(source_.meta->Commit({{}, {Op::DeleteRange(std::string(1, '\0'), "")}}).ok());
  ASSERT_TRUE((*source_.meta->Range("", "", 1)).empty());

  PointInTimeOptions options = Options();
  options.to_latest = true;
  BackupStorage storage(backups_.get());
  auto plan = RestoreToPoint(&storage, objects_.get(), source_.meta.get(), options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_GT(plan->replayed_records, 0u);
  // Ids go above everything issued before the loss.
  EXPECT_GE(plan->id_generators["object"], std::stoull(ids_before->value));
  ASSERT_TRUE(source_.Open(objects_.get(), &clock_).ok());
  EXPECT_EQ(DumpNode(&source_), latest);
  // The restored cluster keeps working.
  if (!latest.tables.empty()) {
    const std::string table = latest.tables.begin()->first;
    ASSERT_TRUE(WriteRows(table, {{"after", "restore"}}, {}).ok());
    auto info = source_.cluster->GetTable(table);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(*source_.cluster->Get(info->id, "after"), "restore");
  }
}

TEST_P(PitrHistoryTest, AsOfReadsEqualTheModelInsideRetention) {
  std::vector<Instant> instants = RunHistory(GetParam() + 2000, 120);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(source_.cluster->Compact().ok());
  ASSERT_TRUE(source_.cluster->Vacuum({}).ok());
  Random rnd(GetParam());
  for (int n = 0; n < 40; ++n) {
    const Instant& at = instants[rnd.Uniform(instants.size())];
    ReadOptions read;
    read.as_of_epoch = at.epoch;
    auto tables = source_.cluster->ListTables(read);
    ASSERT_TRUE(tables.ok()) << tables.status().ToString();
    std::map<std::string, Rows> seen;
    for (const auto& t : *tables) seen[t.name] = ScanRows(source_.cluster.get(), t.id, read);
    EXPECT_EQ(seen, at.state.tables) << "as of epoch " << at.epoch;
    for (const auto& [name, rows] : at.state.tables) {
      auto info = source_.cluster->GetTable(name, read);
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      for (const auto& [k, v] : rows) {
        auto got = source_.cluster->Get(info->id, k, read);
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(*got, std::optional<std::string>(v)) << name << "/" << k;
        break;  // one point read per table per instant keeps the test fast
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PitrHistoryTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace cairn::pitr_test
