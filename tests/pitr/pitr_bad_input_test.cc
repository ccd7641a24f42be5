// Point-in-time restore refuses what it cannot do exactly, with errors that name the
// recoverable range, the gap or the corrupt segment, and writes nothing then.
#include <gtest/gtest.h>

#include "backup/pitr_segment.h"
#include "common/epoch.h"
#include "meta/time_spec.h"
#include "meta/writer_lease.h"
#include "meta_store/fault_meta_store.h"
#include "pitr/pitr_fixture.h"

namespace cairn::pitr_test {
namespace {

class PitrBadInputTest : public PitrFixture {
 protected:
  // A snapshot, then three archived segments with table writes in each.
  void SetUp() override {
    PitrFixture::SetUp();
    ASSERT_TRUE(source_.cluster->CreateTable("t").ok());
    clock_.Advance(1000);
    auto backup = service_->Create("base");
    ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    snapshot_ms_ = clock_.NowMillis();
    for (int segment = 0; segment < 3; ++segment) {
      for (int i = 0; i < 3; ++i) {
        clock_.Advance(1000);
        ASSERT_TRUE(WriteRows("t", {{"k" + std::to_string(segment * 3 + i), "v"}}, {}).ok());
      }
      ASSERT_TRUE(archiver_->ArchiveOnce().ok());
    }
    segments_ = *ListSegments(backups_.get());
    ASSERT_GE(segments_.size(), 3u);
  }

  Result<PointInTimePlan> Restore(PointInTimeOptions options) {
    target_ = *OpenMetaStore(UniqueUrl("target"));
    BackupStorage storage(backups_.get());
    return RestoreToPoint(&storage, objects_.get(), target_.get(), options);
  }

  void ExpectTargetEmpty() { EXPECT_TRUE((*target_->Range("", "", 1)).empty()); }

  int64_t snapshot_ms_ = 0;
  std::vector<SegmentInfo> segments_;
  std::unique_ptr<MetaStore> target_;
};

TEST_F(PitrBadInputTest, TimeInTheFutureNamesTheRecoverableRange) {
  PointInTimeOptions options = Options();
  options.to_time = FormatRfc3339Millis(clock_.NowMillis() + 3600 * 1000);
  auto plan = Restore(options);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().code() == ErrorCode::kInvalidArgument) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("in the future"), std::string::npos);
  EXPECT_NE(plan.status().message().find("recoverable range: " + FormatRfc3339Millis(snapshot_ms_)),
            std::string::npos)
      << plan.status().ToString();
  ExpectTargetEmpty();
}

TEST_F(PitrBadInputTest, TimeBeforeTheOldestSnapshotNamesTheRecoverableRange) {
  PointInTimeOptions options = Options();
  options.to_epoch = MaxEpochAtMillis(snapshot_ms_ - 1);
  auto plan = Restore(options);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().code() == ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("before the oldest snapshot"), std::string::npos);
  EXPECT_NE(plan.status().message().find("recoverable range: "), std::string::npos);
  EXPECT_NE(
      plan.status().message().find("(epoch " + std::to_string(MaxEpochAtMillis(snapshot_ms_))),
      std::string::npos)
      << plan.status().ToString();
  ExpectTargetEmpty();
}

TEST_F(PitrBadInputTest, AfterTheArchivedChangelogIsRefused) {
  clock_.Advance(60 * 1000);  // nothing archived for a minute: the archive says nothing
  PointInTimeOptions options = Options();
  options.to_time = FormatRfc3339Millis(clock_.NowMillis() - 1000);
  auto plan = Restore(options);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("after the archived changelog"), std::string::npos)
      << plan.status().ToString();
}

TEST_F(PitrBadInputTest, MalformedTimeAndMissingTarget) {
  PointInTimeOptions options = Options();
  options.to_time = "yesterday at noon";
  auto plan = Restore(options);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().code() == ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("--to-time"), std::string::npos);
  EXPECT_NE(plan.status().message().find("yesterday at noon"), std::string::npos);

  auto none = Restore(Options());
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(none.status().code() == ErrorCode::kInvalidArgument);
  ExpectTargetEmpty();
}

TEST_F(PitrBadInputTest, MissingSegmentInTheMiddleIsNamedAlsoByDryRun) {
  const SegmentInfo middle = segments_[1];
  ASSERT_TRUE(backups_->Delete(middle.key).ok());
  std::string gap = std::to_string(middle.first_seq) + ".." + std::to_string(middle.last_seq);

  BackupStorage storage(backups_.get());
  auto range = ComputeRecoverableRange(&storage, 5000, &clock_);
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->gaps.size(), 1u);
  EXPECT_EQ(range->gaps[0], gap);
  EXPECT_NE(range->ToString().find("gap: seqs " + gap), std::string::npos);

  for (bool dry_run : {true, false}) {
    PointInTimeOptions options = Options();
    options.to_latest = true;
    options.dry_run = dry_run;
    auto plan = Restore(options);
    ASSERT_FALSE(plan.ok());
    EXPECT_TRUE(plan.status().IsNotFound()) << plan.status().ToString();
    EXPECT_NE(plan.status().message().find("gap: seqs " + gap), std::string::npos)
        << plan.status().ToString();
    EXPECT_NE(plan.status().message().find(segments_[2].key), std::string::npos);
    ExpectTargetEmpty();
  }
  // A target whose first later record is before the gap still restores.
  PointInTimeOptions before = Options();
  before.to_time = FormatRfc3339Millis(snapshot_ms_ + 2000);
  Node node;
  auto plan = RestoreInto(&node, before);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(DumpNode(&node).tables["t"].size(), 2u);
  node.Close();
}

TEST_F(PitrBadInputTest, CorruptSegmentIsNamed) {
  const SegmentInfo middle = segments_[1];
  std::string bytes = *backups_->Get(middle.key);
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(backups_->Put(middle.key, bytes).ok());
  PointInTimeOptions options = Options();
  options.to_latest = true;
  auto plan = Restore(options);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().IsCorruption()) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find(middle.key), std::string::npos);
  ExpectTargetEmpty();
}

TEST_F(PitrBadInputTest, NonEmptyTargetRefusedDryRunWritesNothing) {
  PointInTimeOptions options = Options();
  options.to_latest = true;
  target_ = *OpenMetaStore(UniqueUrl("busy"));
  ASSERT_TRUE(target_->Commit({{}, {Op::Put("param/x", "y")}}).ok());
  BackupStorage storage(backups_.get());
  auto refused = RestoreToPoint(&storage, objects_.get(), target_.get(), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().code() == ErrorCode::kAlreadyExists);

  options.dry_run = true;
  auto dry = Restore(options);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_FALSE(dry->written);
  EXPECT_EQ(dry->replayed_records, segments_.back().last_seq - dry->snapshot.changelog_seq);
  ExpectTargetEmpty();

  options.dry_run = false;
  // The lease check is the library's, not the CLI's: every caller gets it.
  WriterLease lease(objects_.get(), &clock_, "live-server", 60'000);
  ASSERT_TRUE(lease.Acquire().ok());
  auto leased = Restore(options);
  ASSERT_FALSE(leased.ok());
  EXPECT_TRUE(leased.status().code() == ErrorCode::kBusy) << leased.status().ToString();
  ExpectTargetEmpty();
  options.force = true;  // the holder is known dead: restore, and fence its lease
  auto forced = Restore(options);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_FALSE(lease.RenewOnce().ok()) << "the restore must fence the old holder";
  EXPECT_FALSE(lease.Check().ok());
}

TEST_F(PitrBadInputTest, FailedWriteLeavesTheTargetEmpty) {
  FaultMetaStore faulty(*OpenMetaStore(UniqueUrl("faulty")), FaultOptions{});
  faulty.FailNext(1);
  PointInTimeOptions options = Options();
  options.to_latest = true;
  BackupStorage storage(backups_.get());
  auto plan = RestoreToPoint(&storage, objects_.get(), &faulty, options);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("target meta store left empty"), std::string::npos)
      << plan.status().ToString();
  EXPECT_TRUE((*faulty.Range("", "", 1)).empty());
}

TEST_F(PitrBadInputTest, MissingSstIsRefused) {
  auto listed = objects_->List("data/", "", 1);
  ASSERT_TRUE(listed.ok() && !listed->objects.empty());
  ASSERT_TRUE(objects_->Delete(listed->objects[0].key).ok());
  PointInTimeOptions options = Options();
  options.to_latest = true;
  auto plan = Restore(options);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.status().IsNotFound());
  EXPECT_NE(plan.status().message().find(listed->objects[0].key), std::string::npos)
      << plan.status().ToString();
  ExpectTargetEmpty();
}

}  // namespace
}  // namespace cairn::pitr_test
