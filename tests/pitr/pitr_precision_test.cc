// PITR precision (docs/pitr.md, "What is recoverable"): the state at T holds exactly the
// changes whose epoch is <= T, and `scan --as-of T` and `restore --to-time T` agree on
// it for every T. The design.md §0 story: writes from .050 and a mistaken drop at .700
// in the same checkpoint interval; restoring to .699 brings the table back with all of
// them.
#include <gtest/gtest.h>

#include <vector>

#include "common/epoch.h"
#include "meta/changelog.h"
#include "meta/keys.h"
#include "meta/time_spec.h"
#include "pitr/pitr_fixture.h"

namespace cairn::pitr_test {
namespace {

using Tables = std::map<std::string, Rows>;

class PitrPrecisionTest : public PitrFixture {
 protected:
  Status Write(const std::string& table, const Rows& puts, const std::set<std::string>& deletes) {
    CAIRN_ASSIGN_OR_RETURN(auto info, source_.cluster->GetTable(table));
    WriteBatch batch;
    for (const auto& [k, v] : puts) batch.Put(info.id, k, v);
    for (const auto& k : deletes) batch.Delete(info.id, k);
    return source_.cluster->Write(batch, /*wait=*/false).status();
  }

  // Every table of the source as of `epoch`, with its rows (no restore).
  Tables AsOf(uint64_t epoch) {
    ReadOptions read;
    read.as_of_epoch = epoch;
    Tables out;
    auto tables = source_.cluster->ListTables(read);
    EXPECT_TRUE(tables.ok()) << tables.status().ToString();
    if (!tables.ok()) return out;
    for (const auto& t : *tables) out[t.name] = ScanRows(source_.cluster.get(), t.id, read);
    return out;
  }

  // Every table after a restore (into a fresh meta store) to `to_time` or `to_epoch`.
  Tables Restored(const std::string& to_time, uint64_t to_epoch) {
    Node restored;
    PointInTimeOptions options = Options();
    options.to_time = to_time;
    options.to_epoch = to_epoch;
    auto plan = RestoreInto(&restored, options);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    Tables out;
    if (plan.ok()) out = DumpNode(&restored).tables;
    restored.Close();
    return out;
  }
  Tables RestoredToTime(int64_t ms) { return Restored(FormatRfc3339Millis(ms), 0); }

  // Seals the history: commits what is pending and archives every record.
  void Finish() {
    clock_.Advance(10);
    ASSERT_TRUE(source_.cluster->Flush().ok());
    auto pass = archiver_->ArchiveOnce();
    ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  }
};

TEST_F(PitrPrecisionTest, DropInTheSameCheckpointIntervalRestoresToTheMillisecond) {
  ASSERT_TRUE(service_->Create("before").ok());
  clock_.Advance(1000);
  const int64_t base = clock_.NowMillis();  // 14:03:00.000
  ASSERT_TRUE(source_.cluster->CreateTable("orders").ok());
  Rows written;
  for (int ms = 50; ms < 700; ms += 50) {  // .050 .. .650, no checkpoint in between
    clock_.Set(base + ms);
    Rows row{{"k" + std::to_string(ms), "v" + std::to_string(ms)}};
    ASSERT_TRUE(Write("orders", row, {}).ok());
    written.insert(row.begin(), row.end());
  }
  clock_.Set(base + 700);  // the mistaken `table drop orders` at 14:03:00.700
  ASSERT_TRUE(source_.cluster->DropTable("orders").ok());
  clock_.Advance(2000);
  ASSERT_NO_FATAL_FAILURE(Finish());

  EXPECT_EQ(RestoredToTime(base + 699), (Tables{{"orders", written}}));
  EXPECT_EQ(RestoredToTime(base + 700), Tables{});
  // Before the first write the table exists, empty.
  EXPECT_EQ(RestoredToTime(base + 49), (Tables{{"orders", {}}}));
  // Time travel agrees without a restore.
  EXPECT_EQ(AsOf(MaxEpochAtMillis(base + 699)), (Tables{{"orders", written}}));
  EXPECT_EQ(AsOf(MaxEpochAtMillis(base + 700)), Tables{});
}

class PitrPrecisionHistoryTest : public PitrPrecisionTest,
                                 public ::testing::WithParamInterface<uint64_t> {
 protected:
  // One random step: writes, DDL, users, params, checkpoints, compactions, vacuums,
  // backups and archiver passes, none of them forcing a checkpoint boundary.
  void Step(Random* rnd, std::set<std::string>* live) {
    std::vector<std::string> names(live->begin(), live->end());
    uint64_t dice = rnd->Uniform(100);
    if (dice < 40 && !names.empty()) {
      Rows puts;
      std::set<std::string> deletes;
      RandomBatch(rnd, 8, 30, &puts, &deletes);
      ASSERT_TRUE(Write(names[rnd->Uniform(names.size())], puts, deletes).ok());
    } else if (dice < 50) {
      std::string name = "t" + std::to_string(rnd->Uniform(5));
      if (live->count(name)) return;
      ASSERT_TRUE(source_.cluster->CreateTable(name).ok());
      live->insert(name);
    } else if (dice < 55 && !names.empty()) {
      const std::string name = names[rnd->Uniform(names.size())];
      ASSERT_TRUE(source_.cluster->DropTable(name).ok());
      live->erase(name);
    } else if (dice < 63) {
      Users users(source_.writer.get(), /*iterations=*/1000);
      std::string name = "u" + std::to_string(rnd->Uniform(3));
      Status s = users.Create(name, "pw");
      if (s.code() == ErrorCode::kAlreadyExists) s = users.Drop(name);
      ASSERT_TRUE(s.ok()) << s.ToString();
    } else if (dice < 70) {
      std::string value = std::to_string(1 + rnd->Uniform(9)) + "s";
      ASSERT_TRUE(SystemParams(source_.writer.get()).Set("checkpoint_interval", value).ok());
    } else if (dice < 82) {
      ASSERT_TRUE(source_.cluster->Flush().ok());
    } else if (dice < 87) {
      ASSERT_TRUE(source_.cluster->Compact().ok());
    } else if (dice < 90) {
      ASSERT_TRUE(source_.cluster->Vacuum({}).ok());
    } else if (dice < 94) {
      auto backup = service_->Create("step");
      ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    } else {
      ASSERT_TRUE(archiver_->ArchiveOnce().ok());
    }
  }

  // Epochs worth checking: each record's epoch, the one just below it, and the end of
  // its millisecond (what --to-time names).
  std::vector<uint64_t> RecordEpochs(uint64_t floor) {
    std::vector<uint64_t> out;
    auto kvs =
        source_.meta->Range(keys::kChangelogPrefix, PrefixEnd(keys::kChangelogPrefix), 1 << 20);
    EXPECT_TRUE(kvs.ok());
    for (const auto& kv : *kvs) {
      uint64_t e = DecodeChangelogRecord(kv.value)->epoch;
      for (uint64_t t : {e - 1, e, MaxEpochAtMillis(EpochToMillis(e))}) {
        if (t >= floor) out.push_back(t);
      }
    }
    return out;
  }
};

TEST_P(PitrPrecisionHistoryTest, AsOfEveryTableEqualsTheRestoreToTheSameInstant) {
  Random rnd(GetParam());
  ASSERT_TRUE(service_->Create("initial").ok());
  clock_.Advance(1);
  const int64_t start_ms = clock_.NowMillis();
  std::set<std::string> live;
  for (int i = 0; i < 150; ++i) {
    clock_.Advance(rnd.Uniform(250));  // often several steps per millisecond or interval
    ASSERT_NO_FATAL_FAILURE(Step(&rnd, &live));
  }
  ASSERT_NO_FATAL_FAILURE(Finish());
  const int64_t end_ms = clock_.NowMillis();

  std::vector<uint64_t> records = RecordEpochs(MaxEpochAtMillis(start_ms));
  ASSERT_GT(records.size(), 100u);
  for (int n = 0; n < 40; ++n) {
    if (n % 2 == 0) {
      // A random wall time, named as --to-time does.
      int64_t ms = start_ms + static_cast<int64_t>(rnd.Uniform(end_ms - start_ms + 1));
      EXPECT_EQ(RestoredToTime(ms), AsOf(MaxEpochAtMillis(ms))) << "time " << ms;
    } else {
      // An epoch at or next to a commit, named as --to-epoch does.
      uint64_t epoch = records[rnd.Uniform(records.size())];
      EXPECT_EQ(Restored("", epoch), AsOf(epoch)) << "epoch " << epoch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PitrPrecisionHistoryTest, ::testing::Values(11, 12, 13));

}  // namespace
}  // namespace cairn::pitr_test
