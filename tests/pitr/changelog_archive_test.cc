// The archiver and its segment format: names sort by seq, segments round-trip and
// reject damage by name, archiving is complete and idempotent, trimming deletes only
// archived records older than retention (without writing changelog), and expiry keeps
// every segment a restore inside the window needs.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "backup/changelog_trim.h"
#include "backup/pitr_segment.h"
#include "common/epoch.h"
#include "meta/keys.h"
#include "object_store/fault_object_store.h"
#include "pitr/pitr_fixture.h"

namespace cairn::pitr_test {
namespace {

std::vector<ChangelogRecord> SomeRecords(uint64_t first, int n) {
  std::vector<ChangelogRecord> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({first + i,
                   EpochFromMillis(1000 + i),
                   1000 + i,
                   {Op::Put("param/p" + std::to_string(i), "v"), Op::Delete("user/x"),
                    Op::DeleteRange("a", "b")}});
  }
  return out;
}

TEST(PitrSegmentTest, NamesSortBySeqAndParse) {
  EXPECT_EQ(SegmentKey(1, 42), "changelog/00000000000000000001-00000000000000000042.log");
  EXPECT_LT(SegmentKey(9, 10), SegmentKey(10, 11));
  EXPECT_LT(SegmentKey(99, 999), SegmentKey(1000, 1000));
  SegmentInfo info;
  ASSERT_TRUE(ParseSegmentKey(SegmentKey(7, 9), &info));
  EXPECT_EQ(info.first_seq, 7u);
  EXPECT_EQ(info.last_seq, 9u);
  for (const char* bad :
       {"changelog/1-2.log", "changelog/00000000000000000009-00000000000000000001.log",
        "changelog/00000000000000000001-00000000000000000002.tmp", "other"}) {
    EXPECT_FALSE(ParseSegmentKey(bad, &info)) << bad;
  }
  EXPECT_EQ(SegmentGaps({{1, 5, "", 0}, {6, 9, "", 0}, {12, 20, "", 0}}),
            std::vector<std::string>{"10..11"});
}

TEST(PitrSegmentTest, RoundTripAndDamageIsCorruptionNamingTheSegment) {
  auto records = SomeRecords(5, 50);
  std::string bytes = EncodeSegment(records);
  SegmentInfo info{5, 54, SegmentKey(5, 54), bytes.size()};
  auto decoded = DecodeSegment(info, bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 50u);
  EXPECT_EQ((*decoded)[49].seq, 54u);
  EXPECT_EQ(EncodeChangelogRecord((*decoded)[7]), EncodeChangelogRecord(records[7]));

  for (size_t pos : {size_t{3}, size_t{20}, bytes.size() / 2, bytes.size() - 12}) {
    std::string bad = bytes;
    bad[pos] ^= 0x01;
    auto result = DecodeSegment(info, bad);
    ASSERT_FALSE(result.ok()) << pos;
    EXPECT_NE(result.status().message().find(info.key), std::string::npos);
  }
  auto truncated = DecodeSegment(info, bytes.substr(0, bytes.size() - 3));
  EXPECT_TRUE(truncated.status().IsCorruption());
  SegmentInfo renamed{5, 60, SegmentKey(5, 60), 0};
  EXPECT_TRUE(DecodeSegment(renamed, bytes).status().IsCorruption());
}

class ChangelogArchiverTest : public PitrFixture {
 protected:
  void SetParam(int value) {
    ASSERT_TRUE(SystemParams(source_.writer.get())
                    .Set("checkpoint_interval", std::to_string(value) + "s")
                    .ok());
  }
  uint64_t Head() { return source_.writer->last_seq(); }
  std::vector<uint64_t> MetaSeqs() {
    std::vector<uint64_t> seqs;
    auto page =
        source_.meta->Range(keys::kChangelogPrefix, PrefixEnd(keys::kChangelogPrefix), 100000);
    for (const auto& kv : *page) seqs.push_back(std::stoull(kv.key.substr(10)));
    return seqs;
  }
};

TEST_F(ChangelogArchiverTest, ArchivesEverythingOnceAndContinuesFromTheListing) {
  for (int i = 1; i <= 5; ++i) SetParam(i);
  auto first = archiver_->ArchiveOnce();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->archived_seq, Head());
  EXPECT_EQ(first->records, Head());  // nothing trimmed yet: seq 1..head
  EXPECT_EQ(first->segments, 1u);
  auto again = archiver_->ArchiveOnce();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records, 0u);

  SetParam(6);
  ChangelogArchiverOptions options;
  options.clock = &clock_;
  options.max_segment_records = 1;
  ChangelogArchiver fresh(source_.meta.get(), backups_.get(), options);  // no memory of runs
  SetParam(7);
  auto next = fresh.ArchiveOnce();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->records, 2u);
  EXPECT_EQ(next->segments, 2u);
  auto segments = *ListSegments(backups_.get());
  EXPECT_TRUE(SegmentGaps(segments).empty());
  EXPECT_EQ(segments.front().first_seq, 1u);
  EXPECT_EQ(segments.back().last_seq, Head());
  uint64_t total = 0;
  for (const auto& seg : segments) total += ReadSegment(backups_.get(), seg)->size();
  EXPECT_EQ(total, Head());
}

TEST_F(ChangelogArchiverTest, TrimsOnlyArchivedRecordsOlderThanRetentionWithoutNewRecords) {
  for (int i = 1; i <= 4; ++i) SetParam(i);
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  uint64_t archived = Head();
  clock_.Advance(kRetentionMs / 2);
  SetParam(5);  // archived but young after the next pass
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  uint64_t young = Head();
  SetParam(6);  // never archived
  clock_.Advance(kRetentionMs / 2 + 1);

  auto trimmed = archiver_->TrimArchived(kRetentionMs);
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  EXPECT_EQ(trimmed->records, archived);
  EXPECT_EQ(trimmed->through_seq, archived);
  EXPECT_EQ(MetaSeqs(), (std::vector<uint64_t>{young, Head()}));
  // The trim itself is not a changelog record.
  EXPECT_EQ((*source_.meta->Get(keys::kChangelogSeq))->value, std::to_string(Head()));
  // Even with retention 0, unarchived records stay.
  ASSERT_TRUE(archiver_->TrimArchived(0).ok());
  EXPECT_EQ(MetaSeqs(), (std::vector<uint64_t>{Head()}));
  // Writers continue on the trimmed changelog.
  SetParam(7);
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  EXPECT_TRUE(SegmentGaps(*ListSegments(backups_.get())).empty());
}

TEST_F(ChangelogArchiverTest, ExpiryKeepsTheSnapshotBeforeTheWindowAndEverythingAfter) {
  ASSERT_TRUE(source_.cluster->CreateTable("t").ok());
  auto old_backup = service_->Create("old");
  ASSERT_TRUE(old_backup.ok());
  int64_t old_ms = clock_.NowMillis();
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(10 * 60 * 1000);
    ASSERT_TRUE(WriteRows("t", {{"k" + std::to_string(i), "v"}}, {}).ok());
    ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  }
  auto base = service_->Create("base");  // 30 min after the old one
  ASSERT_TRUE(base.ok());
  for (int i = 3; i < 6; ++i) {
    clock_.Advance(10 * 60 * 1000);
    ASSERT_TRUE(WriteRows("t", {{"k" + std::to_string(i), "v"}}, {}).ok());
    ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  }
  auto before = *ListSegments(backups_.get());
  // Window start is before "base": nothing may go.
  auto none = archiver_->ExpireArchive(kRetentionMs);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->segments, 0u);
  clock_.Advance(45 * 60 * 1000);  // window start now between base and the next write
  auto expired = archiver_->ExpireArchive(kRetentionMs);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_GT(expired->segments, 0u);
  auto after = *ListSegments(backups_.get());
  EXPECT_EQ(after.size() + expired->segments, before.size());
  EXPECT_LE(after.front().first_seq, base->changelog_seq + 1);
  EXPECT_EQ(after.back().last_seq, before.back().last_seq);
  // Snapshots stay; a restore to the window start still works, the old time does not.
  EXPECT_EQ(service_->List()->snapshots.size(), 2u);
  PointInTimeOptions options = Options();
  options.to_epoch = MaxEpochAtMillis(clock_.NowMillis() - kRetentionMs);
  Node node;
  auto plan = RestoreInto(&node, options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->snapshot.id, base->id);
  node.Close();
  options.to_epoch = MaxEpochAtMillis(old_ms + 1);
  auto refused = RestoreInto(&node, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("recoverable range"), std::string::npos);
}

TEST_F(ChangelogArchiverTest, RefusesWhenBackupStorageIsAheadOfTheMetaStore) {
  for (int i = 1; i <= 5; ++i) SetParam(i);
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  auto other = *OpenMetaStore(UniqueUrl("other"));
  MetaWriter writer(other.get(), &clock_);
  ASSERT_TRUE(writer.Open().ok());
  ASSERT_TRUE(SystemParams(&writer).Set("checkpoint_interval", "3s").ok());
  ChangelogArchiverOptions options;
  options.clock = &clock_;
  ChangelogArchiver archiver(other.get(), backups_.get(), options);
  auto result = archiver.ArchiveOnce();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsConflict());
  EXPECT_NE(result.status().message().find("claim the same timeline"), std::string::npos);
}

TEST_F(ChangelogArchiverTest, RestoredMetaStoreStartsArchivingAtItsNextRecord) {
  // A meta store restored from a snapshot: a changelog head, no changelog records.
  auto restored = *OpenMetaStore(UniqueUrl("restored"));
  ASSERT_TRUE(restored->Commit({{}, {Op::Put(std::string(keys::kChangelogSeq), "41")}}).ok());
  auto fresh_backups = *OpenObjectStore(UniqueUrl("fresh-backup"));
  ChangelogArchiverOptions options;
  options.clock = &clock_;
  ChangelogArchiver archiver(restored.get(), fresh_backups.get(), options);
  auto empty = archiver.ArchiveOnce();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->records, 0u);
  EXPECT_EQ(archiver.metrics().lag_records, 0u);
  MetaWriter writer(restored.get(), &clock_);
  ASSERT_TRUE(writer.Open().ok());
  ASSERT_TRUE(SystemParams(&writer).Set("checkpoint_interval", "2s").ok());
  auto one = archiver.ArchiveOnce();
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->records, 1u);
  auto segments = *ListSegments(fresh_backups.get());
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].key, SegmentKey(42, 42));
}

TEST_F(ChangelogArchiverTest, MetricsReportLagAndTheLoopArchivesOnStop) {
  SetParam(1);
  ASSERT_TRUE(archiver_->ArchiveOnce().ok());
  clock_.Advance(2500);
  ArchiverMetrics m = archiver_->metrics();
  EXPECT_EQ(m.lag_records, 0u);
  EXPECT_EQ(m.archived_seq, Head());
  EXPECT_DOUBLE_EQ(m.lag_seconds, 2.5);

  archiver_->Start(/*interval_ms=*/3600 * 1000);
  SetParam(2);
  archiver_->Stop();  // runs a last pass
  m = archiver_->metrics();
  EXPECT_EQ(m.archived_seq, Head());
  EXPECT_GE(m.runs, 1u);
  EXPECT_EQ(m.failures, 0u);
  EXPECT_FALSE(MetaSeqs().empty());  // younger than the 1 h retention

  archiver_->SetRetention(0);
  clock_.Advance(1);  // "older than retention" is strict
  ASSERT_TRUE(archiver_->RunOnce().ok());
  EXPECT_TRUE(MetaSeqs().empty());
  EXPECT_EQ(archiver_->metrics().records_trimmed, Head());
}

// Without backup storage nothing reads the records: all older than the retention go,
// archived or not, in one range delete that is not itself a record; later archives (once
// backup storage is configured) start at the first record left.
TEST_F(ChangelogArchiverTest, WithoutBackupStorageTheTrimmerKeepsOnlyTheRetention) {
  for (int i = 1; i <= 4; ++i) SetParam(i);
  const uint64_t old_head = Head();
  clock_.Advance(kRetentionMs / 2);
  SetParam(5);
  SetParam(6);
  clock_.Advance(kRetentionMs / 2 + 1);
  ChangelogTrimmer trimmer(source_.meta.get(), &clock_, kRetentionMs);
  auto trimmed = trimmer.RunOnce();
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  EXPECT_EQ(trimmed->records, old_head);
  EXPECT_EQ(trimmed->through_seq, old_head);
  EXPECT_EQ(MetaSeqs(), (std::vector<uint64_t>{old_head + 1, Head()}));
  EXPECT_EQ((*source_.meta->Get(keys::kChangelogSeq))->value, std::to_string(Head()));
  EXPECT_EQ(trimmer.RunOnce()->records, 0u) << "nothing more is old enough";

  // The background loop trims on its own (retention 0: everything older than now).
  ChangelogTrimmer all(source_.meta.get(), &clock_, 0);
  clock_.Advance(1);
  all.Start(/*interval_ms=*/1);
  for (int i = 0; i < 2000 && !MetaSeqs().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  all.Stop();
  EXPECT_TRUE(MetaSeqs().empty());
  EXPECT_EQ(all.records_trimmed(), 2u);

  SetParam(7);  // writers continue; a first archive starts at the first record left
  auto archived = archiver_->ArchiveOnce();
  ASSERT_TRUE(archived.ok()) << archived.status().ToString();
  EXPECT_EQ(archived->records, 1u);
  EXPECT_EQ(ListSegments(backups_.get())->front().first_seq, Head());
}

// While backup storage is unreachable the backlog grows; past the limit CheckBacklog
// refuses with an error naming the storage and the limit, and writes resume once the
// archiver catches up. Failing passes show in the metrics.
TEST_F(ChangelogArchiverTest, BacklogPastTheLimitRefusesUntilArchivingCatchesUp) {
  FaultInjectingObjectStore broken(backups_.get(), /*seed=*/1, &clock_);
  ChangelogArchiverOptions options;
  options.clock = &clock_;
  options.max_backlog_records = 3;
  ChangelogArchiver archiver(source_.meta.get(), &broken, options);
  SetParam(1);
  ASSERT_TRUE(archiver.RunOnce().ok());
  EXPECT_TRUE(archiver.CheckBacklog(Head()).ok());

  broken.SetFailureRate(1.0);
  for (int i = 2; i <= 4; ++i) SetParam(i);
  EXPECT_FALSE(archiver.RunOnce().ok());
  EXPECT_TRUE(archiver.metrics().failing);
  EXPECT_EQ(archiver.BacklogRecords(Head()), 3u);
  EXPECT_TRUE(archiver.CheckBacklog(Head()).ok()) << "at the limit, not past it";
  SetParam(5);
  Status refused = archiver.CheckBacklog(Head());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("4 changelog records are not archived"), std::string::npos)
      << refused.ToString();
  EXPECT_NE(refused.message().find("--max-changelog-backlog"), std::string::npos);
  EXPECT_NE(refused.message().find(broken.DescribeForLog()), std::string::npos);

  broken.Reset();
  ASSERT_TRUE(archiver.RunOnce().ok());
  EXPECT_FALSE(archiver.metrics().failing);
  EXPECT_EQ(archiver.BacklogRecords(Head()), 0u);
  EXPECT_TRUE(archiver.CheckBacklog(Head()).ok());
  auto segments = *ListSegments(backups_.get());
  EXPECT_EQ(segments.back().last_seq, Head());
  EXPECT_TRUE(SegmentGaps(segments).empty());
}

}  // namespace
}  // namespace cairn::pitr_test
