// The edges of restore (issue #11): a crash at any restore step leaves a target that a
// server refuses and a rerun repairs; ids issued after the newest snapshot are never
// reused; a restore never touches another cluster's stores; vacuum never deletes an
// SST that a backup cut between its candidate and pin reads references.
#include <gtest/gtest.h>

#include "backup/pitr_segment.h"
#include "backup/restore.h"
#include "meta/cluster_identity.h"
#include "meta/deleted_ids.h"
#include "meta/keys.h"
#include "meta/restore_marker.h"
#include "meta/writer_lease.h"
#include "meta_store/fault_meta_store.h"
#include "pitr/pitr_fixture.h"
#include "storage/cluster_guard.h"
#include "storage/storage_codec.h"
#include "testing/store_dump.h"

namespace cairn::pitr_test {
namespace {

class RestoreSafetyTest : public PitrFixture {
 protected:
  void SetUp() override {
    PitrFixture::SetUp();
    ASSERT_TRUE(source_.cluster->CreateTable("t").ok());
    clock_.Advance(1000);
    ASSERT_TRUE(WriteRows("t", {{"a", "1"}, {"b", "2"}}, {}).ok());
    ASSERT_TRUE(Users(source_.writer.get(), /*iterations=*/1000).Create("alice", "pw").ok());
    clock_.Advance(1000);
    auto backup = service_->Create("base");
    ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    backup_ = *backup;
    at_backup_ = DumpNode(&source_);
  }

  Result<RestorePlan> RestoreSnapshotInto(MetaStore* target, RestoreOptions options = {}) {
    options.snapshot_id = backup_.id;
    options.clock = &clock_;
    BackupStorage storage(backups_.get());
    return RestoreSnapshot(&storage, objects_.get(), target, options);
  }

  // Writes a row to table "v" of `node` and checkpoints (one new SST).
  bool WriteTo(Node* node, const std::string& value) {
    auto table = node->cluster->GetTable("v");
    if (!table.ok()) return false;
    WriteBatch batch;
    batch.Put(table->id, "key-" + value, value);
    clock_.Advance(10);
    return node->cluster->Write(batch, /*wait=*/false).ok() && node->cluster->Flush().ok();
  }

  SnapshotEntry backup_;
  ModelState at_backup_;
};

// Crash the target meta store after each possible number of commits: every outcome is
// either a complete restore or a target a server refuses to start on; rerunning the
// same restore (no --overwrite needed) then completes it.
TEST_F(RestoreSafetyTest, CrashAtEveryStepLeavesARefusedTargetThatARerunRepairs) {
  bool completed = false;
  for (int64_t commits = 0; !completed && commits < 50; ++commits) {
    SCOPED_TRACE("crash after " + std::to_string(commits) + " commits");
    std::string url = UniqueUrl("target");  // mem:// stores of one name share their data
    Node node;
    node.meta = *OpenMetaStore(url);
    FaultMetaStore faulty(*OpenMetaStore(url), FaultOptions{});
    faulty.CrashAfter(commits);
    auto plan = RestoreSnapshotInto(&faulty);
    if (plan.ok()) {
      completed = true;
    } else {
      auto refused = CheckClusterStores(node.meta.get(), objects_.get(), "");
      ASSERT_FALSE(refused.ok()) << "a server would start on a half-restored meta store";
      EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition)
          << refused.status().ToString();
      auto rerun = RestoreSnapshotInto(node.meta.get());
      ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
    }
    ASSERT_TRUE(CheckClusterStores(node.meta.get(), objects_.get(), "").ok());
    EXPECT_FALSE((*ReadRestoreMarker(node.meta.get())).has_value());
    ASSERT_TRUE(node.Open(objects_.get(), &clock_).ok());
    EXPECT_EQ(DumpNode(&node), at_backup_);
    node.Close();
  }
  EXPECT_TRUE(completed) << "the restore never completed within 50 commits";
}

// The same for a crash while the failed restore cleans up: the marker stays, so the
// server still refuses, and the error says the cleanup failed.
TEST_F(RestoreSafetyTest, FailedCleanupIsReportedAndTheTargetStaysRefused) {
  std::string url = UniqueUrl("target");
  auto plain = *OpenMetaStore(url);
  FaultMetaStore faulty(*OpenMetaStore(url), FaultOptions{});
  faulty.CrashAfter(1);  // the marker batch lands, then every commit fails, cleanup too
  auto plan = RestoreSnapshotInto(&faulty);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("clearing the target failed too"), std::string::npos)
      << plan.status().ToString();
  EXPECT_TRUE((*ReadRestoreMarker(plain.get())).has_value());
  auto refused = CheckClusterStores(plain.get(), objects_.get(), "");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("did not finish"), std::string::npos)
      << refused.status().ToString();
}

// Table, backup and object ids issued after the newest snapshot live only in the
// archived changelog; a snapshot restore must still go above them.
TEST_F(RestoreSafetyTest, SnapshotRestoreRaisesIdsFromTheArchivedChangelog) {
  for (auto name : {"later-1", "later-2", "later-3"}) {
    clock_.Advance(1000);
    ASSERT_TRUE(source_.cluster->CreateTable(name).ok());
  }
  auto later = source_.cluster->GetTable("later-3");
  ASSERT_TRUE(later.ok());
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  auto target = *OpenMetaStore(UniqueUrl("target"));
  auto plan = RestoreSnapshotInto(target.get());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_GT(plan->archived_records_scanned, 0u);
  EXPECT_GT(plan->id_generators.at("table"), later->id)
      << "table ids issued after the snapshot would be reused";
  Node node;
  node.meta = std::move(target);
  ASSERT_TRUE(node.Open(objects_.get(), &clock_).ok());
  auto created = node.cluster->CreateTable("after-restore");
  ASSERT_TRUE(created.ok());
  EXPECT_GT(created->id, later->id);
  node.Close();
}

TEST_F(RestoreSafetyTest, OverwriteRefusesAnotherClustersMetaStoreAndChangesNothing) {
  auto target = *OpenMetaStore(UniqueUrl("other-cluster"));
  ASSERT_TRUE(target
                  ->Commit({{},
                            {Op::Put(std::string(keys::kClusterId), "other"),
                             Op::Put(keys::UserKey("bob"), "x")}})
                  .ok());
  auto before = testing::DumpMetaKeys(target.get());
  auto objects_before = testing::DumpObjects(objects_.get());
  RestoreOptions options;
  options.overwrite = true;
  auto plan = RestoreSnapshotInto(target.get(), options);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("another cluster"), std::string::npos)
      << plan.status().ToString();
  EXPECT_EQ(testing::DumpMetaKeys(target.get()), before);
  EXPECT_EQ(testing::DumpObjects(objects_.get()), objects_before);
}

TEST_F(RestoreSafetyTest, ObjectStoreOfAnotherClusterIsRefused) {
  ClusterIdentity other;
  other.cluster_id = "another-cluster";
  other.created_ms = clock_.NowMillis();
  ASSERT_TRUE(WriteClusterIdentity(objects_.get(), other).ok());
  auto target = *OpenMetaStore(UniqueUrl("target"));
  auto plan = RestoreSnapshotInto(target.get());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("another-cluster"), std::string::npos)
      << plan.status().ToString();
  EXPECT_TRUE(testing::DumpMetaKeys(target.get()).empty());
}

TEST_F(RestoreSafetyTest, RestoreWritesTheIdentityAndFencesTheLease) {
  auto target = *OpenMetaStore(UniqueUrl("target"));
  ASSERT_FALSE((*ReadClusterIdentity(objects_.get())).has_value());
  ASSERT_TRUE(RestoreSnapshotInto(target.get()).ok());
  auto identity = *ReadClusterIdentity(objects_.get());
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->cluster_id, backup_.cluster_id);
  auto lease = *ReadWriterLease(objects_.get());
  ASSERT_TRUE(lease.has_value()) << "restore must leave a fenced lease";
  EXPECT_GE(lease->generation, 1u);
}

// Issue #11 (6): vacuum read the pins BEFORE its stale candidates. A backup that pins
// and cuts in between, followed by a compaction that retires the SSTs of the cut (on an
// idle cluster their stale epoch is the old committed epoch, outside the window), then
// had them deleted. The hook runs exactly there.
// Forwards to `base`; commit number `lose` (1-based) is applied but reports a lost ack.
struct LoseOneAck : MetaStore {
  LoseOneAck(MetaStore* base, int lose) : base(base), lose(lose) {}
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override { return base->Snapshot(); }
  Result<int64_t> Commit(const Txn& txn) override {
    auto applied = base->Commit(txn);
    if (applied.ok() && ++commits == lose) return Status::Unavailable("injected: ack lost");
    return applied;
  }
  std::string DescribeForLog() const override { return "lose-one-ack"; }
  MetaStore* base;
  int lose;
  int commits = 0;
};

// A target of this cluster whose generators are far above the backup's: its own ids are
// the only witness of what it issued (nothing was archived).
std::unique_ptr<MetaStore> TargetWithHighIds(const std::string& url, const std::string& cluster) {
  auto target = *OpenMetaStore(url);
  EXPECT_TRUE(
      target
          ->Commit({{},
                    {Op::Put(std::string(keys::kClusterId), cluster),
                     Op::Put(keys::IdKey("table"), "1000"), Op::Put(keys::IdKey("object"), "5000"),
                     Op::Put("catalog/table/999", "junk of the replaced state")}})
          .ok());
  return target;
}

// Finding 7 of cairn-sim: an --overwrite whose commit at any step applies but loses its
// ack, then a rerun: the target never goes below its own id generators.
TEST_F(RestoreSafetyTest, OverwriteWithALostAckAtAnyStepKeepsTheTargetsIds) {
  bool completed = false;
  for (int lose = 1; !completed && lose < 50; ++lose) {
    SCOPED_TRACE("commit " + std::to_string(lose) + " loses its ack");
    auto target = TargetWithHighIds(UniqueUrl("target"), backup_.cluster_id);
    LoseOneAck lossy(target.get(), lose);
    RestoreOptions overwrite;
    overwrite.overwrite = true;
    auto plan = RestoreSnapshotInto(&lossy, overwrite);
    completed = plan.ok() && lossy.commits < lose;
    if (!plan.ok()) {
      auto rerun = RestoreSnapshotInto(target.get(), overwrite);
      ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
    }
    auto dump = testing::DumpMetaKeys(target.get());
    EXPECT_GE(std::stoull(dump[keys::IdKey("table")]), 1000u);
    EXPECT_GE(std::stoull(dump[keys::IdKey("object")]), 5000u);
    EXPECT_EQ(dump.count("catalog/table/999"), 0u);
    EXPECT_EQ(dump.count(std::string(keys::kRestoreMarker)), 0u);
  }
  EXPECT_TRUE(completed) << "the restore never ran without a lost ack within 50 commits";
}

// Finding 3 of cairn-sim: the sealing commit applies but loses its ack. The restore is
// complete and says so (the marker it deleted is gone), and nothing clears it.
TEST_F(RestoreSafetyTest, SealingCommitWithALostAckIsACompleteRestore) {
  auto counted = *OpenMetaStore(UniqueUrl("counted"));
  LoseOneAck counter(counted.get(), /*lose=*/0);
  ASSERT_TRUE(RestoreSnapshotInto(&counter).ok());
  Node node;
  node.meta = *OpenMetaStore(UniqueUrl("target"));
  LoseOneAck lossy(node.meta.get(), counter.commits);  // the last one
  auto plan = RestoreSnapshotInto(&lossy);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(lossy.commits, counter.commits);
  ASSERT_TRUE(CheckClusterStores(node.meta.get(), objects_.get(), "").ok());
  ASSERT_TRUE(node.Open(objects_.get(), &clock_).ok());
  EXPECT_EQ(DumpNode(&node), at_backup_);
  node.Close();
}

// Finding 2 of cairn-sim: SSTs vacuum deleted leave no trace in the meta store a restore
// reads; the deleted-ids mark keeps their ids from being issued again.
TEST_F(RestoreSafetyTest, RestoreIssuesNoIdOfAnSstVacuumDeleted) {
  ASSERT_TRUE(source_.cluster->Flush().ok());
  ASSERT_TRUE(source_.cluster->Compact().ok());  // t's rows in L1, out of the way
  auto gone = source_.cluster->CreateTable("gone");
  ASSERT_TRUE(gone.ok());
  for (int i = 0; i < 20; ++i) {  // past the id batch the backup's pin covers
    WriteBatch batch;
    batch.Put(gone->id, "later-" + std::to_string(i), "v");
    clock_.Advance(10);
    ASSERT_TRUE(source_.cluster->Write(batch, /*wait=*/false).ok());
    ASSERT_TRUE(source_.cluster->Flush().ok());
  }
  ASSERT_TRUE(source_.cluster->DropTable("gone").ok());
  // The newest SSTs (gone's) are compacted away to nothing, then vacuumed: no listed or
  // recorded object holds their ids any more.
  clock_.Advance(2 * kRetentionMs);
  ASSERT_TRUE(source_.cluster->Compact().ok());
  clock_.Advance(2 * kRetentionMs);
  auto vacuumed = source_.cluster->Vacuum({false, false});
  ASSERT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  ASSERT_GT(vacuumed->deleted, 0u)
      << vacuumed->stale_candidates << " candidates, kept " << vacuumed->kept_by_gate;
  uint64_t mark = *ReadMaxDeletedObjectId(objects_.get());
  ASSERT_GT(mark, backup_.max_object_id) << "vacuum deleted only SSTs the backup knows";
  EXPECT_TRUE(objects_->Head(SstObjectKey(mark)).status().IsNotFound());
  auto target = *OpenMetaStore(UniqueUrl("target"));
  auto plan = RestoreSnapshotInto(target.get());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_GT(plan->id_generators.at("object"), mark);
  // The mark alone, far above every listed object (the newest SSTs all vacuumed).
  ASSERT_TRUE(RaiseMaxDeletedObjectId(objects_.get(), 10'000).ok());
  auto again = *OpenMetaStore(UniqueUrl("target"));
  plan = RestoreSnapshotInto(again.get());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_GT(plan->id_generators.at("object"), 10'000u);
}

// The start-up guard: a meta store whose object ids end at or below an id vacuum deleted
// is older than the object store.
TEST_F(RestoreSafetyTest, MetaStoreBelowTheDeletedIdsMarkIsRefused) {
  auto survey = CheckClusterStores(source_.meta.get(), objects_.get(), "");
  ASSERT_TRUE(survey.ok()) << survey.status().ToString();
  ASSERT_TRUE(RaiseMaxDeletedObjectId(objects_.get(), survey->next_object_id).ok());
  auto refused = CheckClusterStores(source_.meta.get(), objects_.get(), "");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("vacuum deleted"), std::string::npos)
      << refused.status().ToString();
  ASSERT_TRUE(objects_->Put(kDeletedIdsKey, "12x").ok());
  EXPECT_EQ(CheckClusterStores(source_.meta.get(), objects_.get(), "").status().code(),
            ErrorCode::kCorruption);
}

TEST_F(RestoreSafetyTest, VacuumNeverDeletesAnSstOfABackupCutBeforeItsCandidates) {
  Node node;
  node.meta = *OpenMetaStore(UniqueUrl("vacuum-source"));
  auto objects = *OpenObjectStore(UniqueUrl("vacuum-data"), {&clock_});
  std::unique_ptr<BackupService> backups;
  std::optional<SnapshotEntry> cut;
  node.vacuum_hook = [&](VacuumStep step) {
    if (step != VacuumStep::kTakingCandidates || cut) return;
    auto b = backups->Create("between pins and candidates");
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    cut = *b;
    ASSERT_TRUE(node.cluster->Compact().ok());  // retires every SST of the cut
  };
  ASSERT_TRUE(node.Open(objects.get(), &clock_).ok());
  Random random(11);
  ASSERT_TRUE(EnsureClusterId(node.writer.get(), &random).ok());
  auto other_backups = *OpenObjectStore(UniqueUrl("vacuum-backups"));
  backups = std::make_unique<BackupService>(node.writer.get(), objects.get(), other_backups.get(),
                                            &clock_);
  ASSERT_TRUE(node.cluster->CreateTable("v").ok());
  ASSERT_TRUE(WriteTo(&node, "x1"));
  ASSERT_TRUE(WriteTo(&node, "x2"));
  clock_.Advance(2 * kRetentionMs);  // idle: the committed epoch falls out of the window
  auto vacuumed = node.cluster->Vacuum({false, false});
  ASSERT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  ASSERT_TRUE(cut.has_value());
  EXPECT_GT(vacuumed->stale_candidates, 0u) << "the compaction retired nothing: no race";
  auto verified = backups->Verify(cut->id);
  EXPECT_TRUE(verified.ok()) << "vacuum deleted an SST of backup " << cut->id << ": "
                             << verified.status().ToString();
  node.Close();
}

}  // namespace
}  // namespace cairn::pitr_test
