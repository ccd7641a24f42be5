// Reads served from backups (BackupReader, FrozenVersion) on the real engine, in
// process: every backup reads as the model at its cut through compaction, drops and a
// full vacuum; as-of instants pick the newest backup at or before them; the decoded
// version is cached and a deleted backup leaves the cache; bad input is refused.
#include "backup/backup_reader.h"

#include <gtest/gtest.h>

#include <map>

#include "backup/backup_service.h"
#include "backup/backup_version.h"
#include "backup/restore.h"
#include "backup/timeline.h"
#include "common/epoch.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "storage/cluster.h"
#include "testing/mem_backup_fixture.h"

namespace cairn {
namespace {

using Rows = std::map<std::string, std::string>;
using State = std::map<std::string, Rows>;  // table name -> rows

class BackupReaderTest : public MemBackupFixture {
 protected:
  void SetUp() override {
    ClusterOptions cluster_options;
    cluster_options.vacuum_min_age_ms = 0;
    ASSERT_NO_FATAL_FAILURE(OpenCluster("backup-reader", cluster_options, 3));
    reader_ =
        std::make_unique<BackupReader>(backups_.get(), objects_.get(), meta_.get(), cluster_id_);
  }

  void Put(const std::string& table, const std::string& key, const std::string& value) {
    WriteBatch batch;
    batch.Put(cluster_->GetTable(table)->id, key, value);
    ASSERT_TRUE(cluster_->Write(batch, /*wait=*/false).ok());
    model_[table][key] = value;
  }
  void Del(const std::string& table, const std::string& key) {
    WriteBatch batch;
    batch.Delete(cluster_->GetTable(table)->id, key);
    ASSERT_TRUE(cluster_->Write(batch, /*wait=*/false).ok());
    model_[table].erase(key);
  }
  void Flush() {
    clock_.Advance(7);
    ASSERT_TRUE(cluster_->Flush().ok());
  }
  SnapshotEntry Backup() {
    clock_.Advance(3);
    auto entry = service_->Create("");
    EXPECT_TRUE(entry.ok()) << entry.status().ToString();
    clock_.Advance(3);
    return entry.ok() ? *entry : SnapshotEntry{};
  }

  // Every table of the backup's cut with its rows, through the FrozenVersion.
  static State Dump(const ServedBackup& served) {
    State state;
    for (const TableInfo& t : served.view->Tables()) {
      Rows& rows = state[t.name];
      auto it = served.view->Scan(t.id, "", "");
      EXPECT_TRUE(it.ok()) << it.status().ToString();
      if (!it.ok()) continue;
      for (; (*it)->Valid(); (*it)->Next()) rows[std::string((*it)->key())] = (*it)->value();
      EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
    }
    return state;
  }

  std::unique_ptr<BackupReader> reader_;
  State model_;
};

TEST_F(BackupReaderTest, EveryBackupReadsAsTheModelAtItsCut) {
  std::vector<std::pair<SnapshotEntry, State>> cuts;
  ASSERT_TRUE(cluster_->CreateTable("a").ok());
  ASSERT_TRUE(cluster_->CreateTable("b").ok());
  model_["a"];
  model_["b"];
  for (int i = 0; i < 300; ++i) Put("a", "k" + std::to_string(1000 + i), "v1-" + std::to_string(i));
  for (int i = 0; i < 50; ++i) Put("b", "k" + std::to_string(i), "b");
  Flush();
  cuts.push_back({Backup(), model_});

  for (int i = 0; i < 300; i += 3) Del("a", "k" + std::to_string(1000 + i));
  for (int i = 1; i < 300; i += 3) Put("a", "k" + std::to_string(1000 + i), "v2");
  Flush();
  ASSERT_TRUE(cluster_->DropTable("b").ok());
  model_.erase("b");
  ASSERT_TRUE(cluster_->CreateTable("c").ok());  // a DDL after the last checkpoint
  model_["c"];
  cuts.push_back({Backup(), model_});

  Put("c", "x", "1");
  Put("a", "k1001", "v3");
  Flush();
  ASSERT_TRUE(cluster_->Compact().ok());
  clock_.Advance(1000);  // past every stale epoch: only the pins keep the backups' SSTs
  auto vacuumed = cluster_->Vacuum({/*full=*/true, /*dry_run=*/false});
  ASSERT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  EXPECT_GT(vacuumed->kept_by_gate, 0u);
  cuts.push_back({Backup(), model_});
  Put("a", "after", "every backup");
  Flush();

  for (const auto& [entry, state] : cuts) {
    auto served = reader_->ById(entry.id);
    ASSERT_TRUE(served.ok()) << served.status().ToString();
    EXPECT_EQ(Dump(*served), state) << "backup " << entry.id;
    EXPECT_GE(served->view->read_epoch(), entry.epoch);
  }
  // Point reads: present, deleted, overwritten, in a dropped table.
  auto first = *reader_->ById(cuts[0].first.id);
  auto second = *reader_->ById(cuts[1].first.id);
  uint32_t a = first.view->FindTable("a")->id;
  EXPECT_EQ(*first.view->Get(a, "k1000"), "v1-0");
  EXPECT_EQ(*second.view->Get(a, "k1000"), std::nullopt);
  EXPECT_EQ(*second.view->Get(a, "k1001"), "v2");
  EXPECT_TRUE(first.view->FindTable("b").ok());
  EXPECT_TRUE(second.view->FindTable("b").status().IsNotFound());
  EXPECT_TRUE(second.view->FindTable("c").ok()) << "the DDL after the last checkpoint is cut";
  EXPECT_TRUE(first.view->FindTable("c").status().IsNotFound());

  // As-of instants: the newest backup created at or before them.
  uint64_t oldest_live = cluster_->oldest_as_of_epoch();
  for (size_t i = 0; i < cuts.size(); ++i) {
    uint64_t at = EpochFromMillis(cuts[i].first.created_ms + 1);
    auto served = reader_->AtEpoch(at, oldest_live);
    ASSERT_TRUE(served.ok()) << served.status().ToString();
    EXPECT_EQ(served->entry.id, cuts[i].first.id);
    EXPECT_EQ(Dump(*served), cuts[i].second);
  }
  auto too_old = reader_->AtEpoch(EpochFromMillis(cuts[0].first.created_ms - 1), oldest_live);
  EXPECT_EQ(too_old.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(too_old.status().message().find("the oldest readable point is backup " +
                                            std::to_string(cuts[0].first.id)),
            std::string::npos)
      << too_old.status().ToString();
}

TEST_F(BackupReaderTest, CachesTheDecodedVersionAndForgetsADeletedBackup) {
  ASSERT_TRUE(cluster_->CreateTable("t").ok());
  Put("t", "k", "v");
  Flush();
  SnapshotEntry b1 = Backup();
  SnapshotEntry b2 = Backup();
  ASSERT_TRUE(reader_->ById(b1.id).ok());
  ASSERT_TRUE(reader_->ById(b1.id).ok());
  ASSERT_TRUE(reader_->AtEpoch(MaxEpochAtMillis(b1.created_ms), 0).ok());
  EXPECT_EQ(reader_->snapshot_reads(), 1u) << "repeated reads decode the snapshot once";
  ASSERT_TRUE(reader_->ById(b2.id).ok());
  EXPECT_EQ(reader_->cached(), 2u);

  ASSERT_TRUE(service_->Delete(b1.id).ok());
  auto gone = reader_->ById(b1.id);
  EXPECT_TRUE(gone.status().IsNotFound()) << gone.status().ToString();
  EXPECT_EQ(reader_->cached(), 1u) << "a deleted backup leaves the cache";
  // An as-of read at b1's instant now has no backup at or before it.
  auto older = reader_->AtEpoch(MaxEpochAtMillis(b1.created_ms), 0);
  EXPECT_EQ(older.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(older.status().message().find("backup " + std::to_string(b2.id)), std::string::npos);

  BackupReaderOptions small;
  small.cached_backups = 1;
  BackupReader one(backups_.get(), objects_.get(), meta_.get(), cluster_id_, small);
  SnapshotEntry b3 = Backup();
  ASSERT_TRUE(one.ById(b2.id).ok());
  ASSERT_TRUE(one.ById(b3.id).ok());
  ASSERT_TRUE(one.ById(b2.id).ok());
  EXPECT_EQ(one.cached(), 1u);
  EXPECT_EQ(one.snapshot_reads(), 3u) << "an LRU of one re-reads the evicted backup";
}

TEST_F(BackupReaderTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_TRUE(cluster_->CreateTable("t").ok());
  Put("t", "k", "v");
  Flush();
  SnapshotEntry b1 = Backup();
  SnapshotEntry b2 = Backup();

  EXPECT_TRUE(reader_->ById(99).status().IsNotFound());
  // No backup at all before the first: the error names the oldest backup.
  BackupReader other(backups_.get(), objects_.get(), meta_.get(), "another-cluster");
  auto foreign = other.ById(b1.id);
  EXPECT_EQ(foreign.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(foreign.status().message().find("belongs to cluster " + cluster_id_), std::string::npos)
      << foreign.status().ToString();
  auto none = other.AtEpoch(EpochFromMillis(b2.created_ms + 10), 42);
  EXPECT_NE(none.status().message().find("holds no backup"), std::string::npos)
      << none.status().ToString();

  // A damaged snapshot file, then a missing one: clear errors; the file is not touched.
  std::string file = BackupStorage::SnapshotKey(b1.id);
  std::string bytes = *backups_->Get(file);
  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x5a;
  ASSERT_TRUE(backups_->Put(file, damaged).ok());
  auto corrupt = reader_->ById(b1.id);
  EXPECT_TRUE(corrupt.status().IsCorruption()) << corrupt.status().ToString();
  EXPECT_EQ(*backups_->Get(file), damaged);
  ASSERT_TRUE(backups_->Delete(file).ok());
  auto missing = reader_->ById(b1.id);
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("is missing"), std::string::npos);
  EXPECT_EQ(reader_->cached(), 0u);
  // The other backup still serves.
  auto served = reader_->ById(b2.id);
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ(*served->view->Get(served->view->FindTable("t")->id, "k"), "v");
  EXPECT_EQ(served->view->Get(1, "").status().code(), ErrorCode::kInvalidArgument);
}

// After a restore of backup 2 (timeline 2 branches from 1 at its seq), backup 3 (timeline
// 1, after the branch) is not in the restored cluster's history: by id it is refused, and
// an instant after it is served by backup 2. Before the archiver publishes timeline 2's
// history object the reader takes it from the meta store.
TEST_F(BackupReaderTest, ARestoredClusterReadsOnlyItsTimelinesHistory) {
  ASSERT_TRUE(cluster_->CreateTable("t").ok());
  model_["t"];
  std::vector<std::pair<SnapshotEntry, State>> cuts;
  for (const char* key : {"a", "b", "c"}) {
    Put("t", key, "v");
    Flush();
    cuts.push_back({Backup(), model_});
  }
  auto restored = *OpenMetaStore(UniqueName("restored"));
  BackupStorage storage(backups_.get());
  RestoreOptions options;
  options.snapshot_id = cuts[1].first.id;
  options.clock = &clock_;
  auto plan = RestoreSnapshot(&storage, objects_.get(), restored.get(), options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->timeline, 2u);

  for (bool published : {true, false}) {
    if (!published) ASSERT_TRUE(backups_->Delete(TimelineKey(2)).ok());
    BackupReader reader(backups_.get(), objects_.get(), restored.get(), cluster_id_);
    auto off_path = reader.ById(cuts[2].first.id);
    EXPECT_EQ(off_path.status().code(), ErrorCode::kInvalidArgument) << published;
    EXPECT_NE(off_path.status().message().find("not in this cluster's history: timeline 2, "
                                               "from timeline 1 at seq " +
                                               std::to_string(cuts[1].first.changelog_seq)),
              std::string::npos)
        << off_path.status().ToString();
    auto first = reader.ById(cuts[0].first.id);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(Dump(*first), cuts[0].second);
    auto after_third = reader.AtEpoch(MaxEpochAtMillis(cuts[2].first.created_ms + 5), 0);
    ASSERT_TRUE(after_third.ok()) << after_third.status().ToString();
    EXPECT_EQ(after_third->entry.id, cuts[1].first.id);
    EXPECT_EQ(Dump(*after_third), cuts[1].second);
  }
}

}  // namespace
}  // namespace cairn
