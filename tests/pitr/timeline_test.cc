// Timelines (issue 12): restores start new timelines in the SAME backup storage; their
// changelogs never mix; PITR follows the newest timeline or the one asked for; vacuum on
// a restored cluster keeps what the older timelines still need; pins are owned by their
// backup storage.
#include "backup/timeline.h"

#include <gtest/gtest.h>

#include "backup/pitr_segment.h"
#include "backup/restore.h"
#include "meta/backup_pins.h"
#include "meta/cluster_id.h"
#include "meta/keys.h"
#include "pitr/pitr_fixture.h"
#include "testing/store_dump.h"

namespace cairn::pitr_test {
namespace {

class TimelineTest : public PitrFixture {
 protected:
  void SetUp() override {
    PitrFixture::SetUp();
    ASSERT_TRUE(source_.cluster->CreateTable("t").ok());
    Put(&source_, "a", "1");
    auto b1 = service_->Create("base");
    ASSERT_TRUE(b1.ok()) << b1.status().ToString();
    b1_ = *b1;
    for (int i = 0; i < 8; ++i) Put(&source_, "old-" + std::to_string(i), "x");
    ASSERT_TRUE(archiver_->ArchiveOnce().ok());
    timeline1_end_ = DumpNode(&source_);
  }

  void Put(Node* node, const std::string& key, const std::string& value) {
    auto table = node->cluster->GetTable("t");
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    WriteBatch batch;
    batch.Put(table->id, key, value);
    clock_.Advance(100);
    ASSERT_TRUE(node->cluster->Write(batch, /*wait=*/false).ok());
    ASSERT_TRUE(node->cluster->Flush().ok());
  }

  // Snapshot restore of b1 into a fresh node, with its own archiver and backup service on
  // the same backup storage (the restored cluster's default).
  void RestoreB1(Node* node) {
    node->meta = *OpenMetaStore(UniqueUrl("restored"));
    BackupStorage storage(backups_.get());
    RestoreOptions options;
    options.snapshot_id = b1_.id;
    options.clock = &clock_;
    auto plan = RestoreSnapshot(&storage, objects_.get(), node->meta.get(), options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_EQ(plan->timeline, 2u);
    ASSERT_TRUE(node->Open(objects_.get(), &clock_).ok());
  }

  std::unique_ptr<ChangelogArchiver> ArchiverFor(Node* node) {
    ChangelogArchiverOptions options;
    options.clock = &clock_;
    options.pitr_retention_ms = kRetentionMs;
    return std::make_unique<ChangelogArchiver>(node->meta.get(), backups_.get(), options);
  }

  Result<ModelState> RestoreLatest(uint32_t timeline) {
    PointInTimeOptions options = Options();
    options.to_latest = true;
    options.timeline = timeline;
    Node node;
    CAIRN_ASSIGN_OR_RETURN(PointInTimePlan plan, RestoreInto(&node, options));
    ModelState state = DumpNode(&node);
    node.Close();
    return state;
  }

  SnapshotEntry b1_;
  ModelState timeline1_end_;
};

// Issue 12 (1): the restored cluster's changelog passes the old timeline's archived seq;
// it used to be appended after the old records (and its first records trimmed unarchived),
// so restore-to-latest replayed old-then-new records: metadata that never existed.
TEST_F(TimelineTest, RestoredClusterArchivesItsOwnTimelineIntoTheSameStorage) {
  Node restored;
  RestoreB1(&restored);
  auto archiver = ArchiverFor(&restored);
  for (int i = 0; i < 20; ++i) Put(&restored, "new-" + std::to_string(i), "y");
  auto archived = archiver->ArchiveOnce();
  ASSERT_TRUE(archived.ok()) << archived.status().ToString();
  EXPECT_GT(archived->records, 0u);
  ModelState timeline2 = DumpNode(&restored);

  auto segments = *ListSegments(backups_.get());
  uint64_t t1_last = 0, t2_first = UINT64_MAX;
  for (const auto& s : segments) {
    if (s.timeline == 1) t1_last = std::max(t1_last, s.last_seq);
    if (s.timeline == 2) t2_first = std::min(t2_first, s.first_seq);
  }
  EXPECT_EQ(t2_first, b1_.changelog_seq + 1) << "timeline 2 starts right after its branch";
  EXPECT_GT(t1_last, b1_.changelog_seq) << "timeline 1's later records are kept";

  auto latest = RestoreLatest(0);  // the newest timeline: 2
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, timeline2);
  auto old = RestoreLatest(1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(*old, timeline1_end_);
  EXPECT_NE(timeline2, timeline1_end_);

  // A backup of the restored cluster into the same storage is on timeline 2, and never
  // serves a restore of timeline 1.
  BackupService backups(restored.writer.get(), objects_.get(), backups_.get(), &clock_);
  auto b2 = backups.Create("on timeline 2");
  ASSERT_TRUE(b2.ok()) << b2.status().ToString();
  EXPECT_EQ(b2->timeline, 2u);
  EXPECT_EQ(*RestoreLatest(1), timeline1_end_);
  restored.Close();
}

// Issue 12 (4): the restored cluster's full vacuum deleted the old timeline's SSTs
// written after the newest backup, so "I restored to the wrong time" could not be fixed.
TEST_F(TimelineTest, VacuumOnTheRestoredClusterKeepsTheOldTimelinesSsts) {
  Node restored;
  RestoreB1(&restored);
  Put(&restored, "new", "z");
  ASSERT_TRUE(restored.cluster->Compact().ok());
  clock_.Advance(60 * 1000);  // inside pitr_retention (1 h), past vacuum_min_age (0)
  auto vacuumed = restored.cluster->Vacuum({/*full=*/true, /*dry_run=*/false});
  ASSERT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  EXPECT_GT(vacuumed->orphans, 0u) << "the old timeline's SSTs are orphans to timeline 2";
  restored.Close();
  auto old = RestoreLatest(1);
  ASSERT_TRUE(old.ok()) << "timeline 1's later state is gone: " << old.status().ToString();
  EXPECT_EQ(*old, timeline1_end_);
}

TEST_F(TimelineTest, RestoringTheOldTimelineAgainStartsTimeline3FromIt) {
  Node restored;
  RestoreB1(&restored);
  Put(&restored, "new", "z");
  auto archiver = ArchiverFor(&restored);
  ASSERT_TRUE(archiver->ArchiveOnce().ok());
  restored.Close();
  PointInTimeOptions options = Options();
  options.to_latest = true;
  options.timeline = 1;
  Node third;
  auto plan = RestoreInto(&third, options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->timeline, 3u);
  EXPECT_EQ(DumpNode(&third), timeline1_end_);
  auto timelines = *LoadTimelines(backups_.get());
  ASSERT_EQ(timelines.size(), 3u);
  EXPECT_EQ(timelines[2].parent, 1u);
  EXPECT_EQ(timelines[3].parent, 1u);
  EXPECT_EQ(timelines[3].branch_seq, plan->last_seq);
  EXPECT_EQ(*ReadClusterTimeline(third.meta.get()), 3u);
  third.Close();
  auto unknown = RestoreLatest(9);
  EXPECT_TRUE(unknown.status().IsNotFound()) << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("timelines: 1, 2, 3"), std::string::npos);
}

TEST_F(TimelineTest, EveryTimelineHasItsRangeForBackupList) {
  Node restored;
  RestoreB1(&restored);
  Put(&restored, "new", "z");
  ASSERT_TRUE(ArchiverFor(&restored)->ArchiveOnce().ok());
  BackupStorage storage(backups_.get());
  auto ranges = ComputeTimelineRanges(&storage, 5000, &clock_, kRetentionMs);
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[1].parent, 1u);
  EXPECT_EQ((*ranges)[1].branch_seq, b1_.changelog_seq);
  EXPECT_FALSE((*ranges)[0].range.empty);
  EXPECT_FALSE((*ranges)[1].range.empty);
  // pitr_retention 0: vacuum keeps no history, so no instant is advertised.
  auto none = ComputeTimelineRanges(&storage, 5000, &clock_, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->back().range.empty);
  EXPECT_TRUE(none->back().range.clamped_by_retention);
  restored.Close();
}

// Issue 12 (2): a backup into another storage purged every pin of the first storage's
// backups (not in the current manifest), and the next vacuum deleted their SSTs.
TEST_F(TimelineTest, SwitchingBackupStorageKeepsTheOtherStoragesPins) {
  auto other = *OpenObjectStore(UniqueUrl("other-backups"), {&clock_});
  BackupService switched(source_.writer.get(), objects_.get(), other.get(), &clock_);
  clock_.Advance(2 * BackupService::kOrphanGraceMs);  // past every grace period
  ASSERT_TRUE(switched.Create("in the new storage").ok());
  auto pins = *PinSet::Load(source_.meta.get());
  bool kept = false;
  for (const auto& pin : pins.pins()) kept |= pin.backup_id == b1_.id;
  EXPECT_TRUE(kept) << "the pin of backup " << b1_.id << " of the first storage was purged";
  ASSERT_TRUE(source_.cluster->Compact().ok());
  ASSERT_TRUE(source_.cluster->Vacuum({true, false}).ok());
  auto verified = service_->Verify(b1_.id);
  EXPECT_TRUE(verified.ok()) << verified.status().ToString();
}

// Issue 12 (3): a lost manifest.json made the next backup purge every pin and snapshot.
TEST_F(TimelineTest, LostManifestRefusesBackupsAndPurgesNothing) {
  ASSERT_TRUE(backups_->Delete(BackupStorage::kManifestKey).ok());
  clock_.Advance(2 * BackupService::kOrphanGraceMs);
  auto keys_before = testing::DumpMetaKeys(source_.meta.get());
  auto files_before = testing::DumpObjects(backups_.get());
  auto created = service_->Create("after the manifest was lost");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(created.status().message().find("no manifest.json"), std::string::npos)
      << created.status().ToString();
  EXPECT_TRUE(PinSet::Load(source_.meta.get())->size() > 0);
  EXPECT_EQ(testing::DumpObjects(backups_.get()), files_before);
  auto purged = service_->PurgeOrphans(0);
  EXPECT_EQ(purged.status().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(TimelineTest, CrashedBackupPinIsRemovedAtStartOtherStoragesPinsStay) {
  Txn txn;
  txn.ops.push_back(Op::Put(PinKey(900), EncodePin({900, 1, kPinInProgress})));
  txn.ops.push_back(Op::Put(PinKey(901), EncodePin({901, 1, 5, "another-storage", 1})));
  ASSERT_TRUE(source_.writer->Commit(txn).ok());
  auto recovered = service_->RecoverAtStart();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->pins, 1u);
  std::set<uint64_t> ids;
  PinSet pins = *PinSet::Load(source_.meta.get());
  for (const auto& pin : pins.pins()) ids.insert(pin.backup_id);
  EXPECT_FALSE(ids.count(900));
  EXPECT_TRUE(ids.count(901));
  EXPECT_TRUE(ids.count(b1_.id));
}

}  // namespace
}  // namespace cairn::pitr_test
