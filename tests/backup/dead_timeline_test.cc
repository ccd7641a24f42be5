// Issue 12 (4b): the archive expiry deletes the segments of dead timelines — ones that
// no listed backup and no retention window can reach — and nothing a PITR path needs.
#include <gtest/gtest.h>

#include <set>

#include "backup/changelog_archive.h"
#include "backup/manifest.h"
#include "backup/timeline.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr int64_t kNow = 1'764'000'000'000;
constexpr int64_t kDay = 24 * 3600 * 1000;
constexpr int64_t kOld = kNow - 10 * kDay;

class DeadTimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    std::string name = "dead-timeline-" + std::to_string(++counter);
    backups_ = *OpenObjectStore("mem://" + name + "-backup");
    meta_ = *OpenMetaStore("mem://" + name + "-meta");
    // This cluster is on timeline 2 (restored from timeline 1 at seq 10).
    Txn txn;
    txn.ops.push_back(Op::Put(std::string(keys::kClusterTimeline), "2"));
    ASSERT_TRUE(meta_->Commit(txn).ok());
    // 1 -> 2 (ours), 1 -> 3 -> 4 (an abandoned branch), 1 -> 5 (still written to).
    History(2, 1, 10, kOld);
    History(3, 1, 20, kOld);
    History(4, 3, 25, kOld);
    History(5, 1, 30, kOld);
    Segment(1, 1, 10, kOld);
    Segment(1, 11, 30, kOld);
    Segment(2, 11, 15, kOld);
    Segment(3, 21, 25, kOld);
    Segment(4, 26, 28, kOld);
    Segment(5, 31, 32, kNow - 3600 * 1000);  // inside the window
  }

  void History(uint32_t timeline, uint32_t parent, uint64_t branch_seq, int64_t created_ms) {
    TimelineHistory h;
    h.timeline = timeline;
    h.parent = parent;
    h.branch_seq = branch_seq;
    h.branch_ms = created_ms;
    h.created_ms = created_ms;
    h.restore = "test";
    h.cluster_id = "c1";
    ASSERT_TRUE(WriteTimeline(backups_.get(), h).ok());
  }

  void Segment(uint32_t timeline, uint64_t first, uint64_t last, int64_t wall_ms) {
    std::vector<ChangelogRecord> records;
    for (uint64_t seq = first; seq <= last; ++seq) {
      records.push_back(
          {seq, static_cast<uint64_t>(seq) << 20, wall_ms, {Op::Put("param/p", "v")}});
    }
    ASSERT_TRUE(backups_->Put(SegmentKey(first, last, timeline), EncodeSegment(records)).ok());
  }

  void Backups(const std::vector<uint32_t>& timelines) {
    Manifest m;
    uint64_t id = 1;
    for (uint32_t t : timelines) {
      SnapshotEntry e;
      e.id = id++;
      e.created_ms = kOld;
      e.file = BackupStorage::SnapshotKey(e.id);
      e.format_version = 1;
      e.timeline = t;
      e.changelog_seq = 5;
      m.snapshots.push_back(e);
    }
    ASSERT_TRUE(BackupStorage(backups_.get()).SaveManifest(m).ok());
  }

  std::set<uint32_t> TimelinesWithSegments() {
    std::set<uint32_t> out;
    auto segments = ListSegments(backups_.get());  // a temporary's * would dangle in the loop
    EXPECT_TRUE(segments.ok()) << segments.status().ToString();
    for (const auto& seg : *segments) out.insert(seg.timeline);
    return out;
  }

  Result<ExpireReport> Expire() {
    ChangelogArchiverOptions options;
    options.clock = &clock_;
    ChangelogArchiver archiver(meta_.get(), backups_.get(), options);
    return archiver.ExpireArchive(kDay);
  }

  ManualClock clock_{kNow};
  std::unique_ptr<ObjectStore> backups_;
  std::unique_ptr<MetaStore> meta_;
};

TEST_F(DeadTimelineTest, AnAbandonedBranchWithoutBackupsIsDeleted) {
  Backups({1});
  auto report = Expire();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // 1: our ancestor; 2: ours; 5: written inside the window. 3 and 4: dead.
  EXPECT_EQ(TimelinesWithSegments(), (std::set<uint32_t>{1, 2, 5}));
  EXPECT_EQ(report->dead_timelines, 2u);
  EXPECT_EQ(report->segments, 2u);
  // Nothing else to do the second time.
  auto again = Expire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->segments, 0u);
}

TEST_F(DeadTimelineTest, ABackupOnTheBranchKeepsItAndItsAncestors) {
  Backups({1, 4});
  ASSERT_TRUE(Expire().ok());
  EXPECT_EQ(TimelinesWithSegments(), (std::set<uint32_t>{1, 2, 3, 4, 5}));
  Backups({1, 3});  // 3's backup: 3 stays; 4 (no backup, ended long ago) goes
  ASSERT_TRUE(Expire().ok());
  EXPECT_EQ(TimelinesWithSegments(), (std::set<uint32_t>{1, 2, 3, 5}));
}

TEST_F(DeadTimelineTest, ADescendantWrittenInsideTheWindowKeepsItsAncestors) {
  Backups({1});
  Segment(4, 29, 29, kNow - 60 * 1000);  // timeline 4 is still being written
  ASSERT_TRUE(Expire().ok());
  EXPECT_EQ(TimelinesWithSegments(), (std::set<uint32_t>{1, 2, 3, 4, 5}));
}

TEST_F(DeadTimelineTest, ATimelineWithoutHistoryIsLeftAlone) {
  Backups({1});
  Segment(9, 40, 41, kOld);  // no timelines/00000009.json
  ASSERT_TRUE(Expire().ok());
  EXPECT_TRUE(TimelinesWithSegments().count(9));
}

}  // namespace
}  // namespace cairn
