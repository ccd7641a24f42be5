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
  // One random step against the engine, mirrored in `model`.
  void Step(Random* rnd, ModelState* model) {
    std::vector<std::string> live;
    for (const auto& [name, rows] : model->tables) live.push_back(name);
    uint64_t dice = rnd->Uniform(100);
    if (dice < 45 && !live.empty()) {
      const std::string& table = live[rnd->Uniform(live.size())];
      std::map<std::string, std::string> puts;
      std::set<std::string> deletes;
      for (int i = 0, n = 1 + rnd->Uniform(20); i < n; ++i) {
        std::string key = "k" + std::to_string(rnd->Uniform(50));
        if (rnd->Percent(25)) {
          deletes.insert(key);
          puts.erase(key);
        } else {
          puts[key] = "v" + std::to_string(rnd->Next() % 100000);
          deletes.erase(key);
        }
      }
      ASSERT_TRUE(WriteRows(table, puts, deletes).ok());
      for (const auto& k : deletes) model->tables[table].erase(k);
      for (const auto& [k, v] : puts) model->tables[table][k] = v;
    } else if (dice < 55) {
      std::string name = "t" + std::to_string(rnd->Uniform(6));
      if (model->tables.count(name)) return;
      ASSERT_TRUE(source_.cluster->CreateTable(name).ok());
      model->tables[name];
    } else if (dice < 60 && !live.empty()) {
      const std::string& name = live[rnd->Uniform(live.size())];
      ASSERT_TRUE(source_.cluster->DropTable(name).ok());
      model->tables.erase(name);
    } else if (dice < 70) {
      Random salts(rnd->Next());
      Users users(source_.writer.get(), &salts);
      std::string name = "u" + std::to_string(rnd->Uniform(4));
      if (model->users.count(name)) {
        ASSERT_TRUE(users.Drop(name).ok());
        model->users.erase(name);
      } else {
        ASSERT_TRUE(users.Create(name, "pw").ok());
        model->users.insert(name);
      }
    } else if (dice < 78) {
      std::string value = std::to_string(1 + rnd->Uniform(9)) + "s";
      ASSERT_TRUE(SystemParams(source_.writer.get()).Set("checkpoint_interval", value).ok());
      model->params["checkpoint_interval"] = value;
    } else if (dice < 86) {
      ASSERT_TRUE(source_.cluster->Compact().ok());
    } else if (dice < 90) {
      ASSERT_TRUE(source_.cluster->Vacuum({}).ok());
    } else if (dice < 95) {
      auto backup = service_->Create("step");
      ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    }
  }

  // Runs the history; returns the model at every instant after a step.
  std::vector<Instant> RunHistory(uint64_t seed, int steps) {
    Random rnd(seed);
    ModelState model;
    std::vector<Instant> instants;
    EXPECT_TRUE(service_->Create("initial").ok());
    for (int i = 0; i < steps; ++i) {
      clock_.Advance(50 + rnd.Uniform(2000));
      Step(&rnd, &model);
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
