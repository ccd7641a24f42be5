// BackupSchedule: validation, the record's encoding, and which backups retention keeps
// (keep_last/hourly/daily/weekly, only scheduled ones, and what the PITR window needs).
#include "backup/schedule_policy.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
// Monday 2026-11-30 00:00:00 UTC.
constexpr int64_t kMonday = 1'795'996'800'000;

SnapshotEntry Backup(uint64_t id, int64_t created_ms, bool scheduled = true,
                     uint32_t timeline = 1) {
  SnapshotEntry e;
  e.id = id;
  e.created_ms = created_ms;
  e.remarks = scheduled ? std::string(kScheduledRemarks) : "by hand";
  e.timeline = timeline;
  return e;
}

BackupSchedule Keep(int64_t last, int64_t hourly = 0, int64_t daily = 0, int64_t weekly = 0) {
  BackupSchedule s;
  s.every_ms = kHour;
  s.keep_last = last;
  s.keep_hourly = hourly;
  s.keep_daily = daily;
  s.keep_weekly = weekly;
  return s;
}

TEST(SchedulePolicyTest, Validation) {
  EXPECT_TRUE(ValidateSchedule(Keep(3)).ok());
  BackupSchedule s = Keep(3);
  s.every_ms = 0;
  EXPECT_EQ(ValidateSchedule(s).message(), "--every 0 is out of range 1s .. 366d");
  s.every_ms = 999;
  EXPECT_FALSE(ValidateSchedule(s).ok());
  s.every_ms = kMaxScheduleEveryMs + 1;
  EXPECT_FALSE(ValidateSchedule(s).ok());
  s = Keep(-1);
  EXPECT_EQ(ValidateSchedule(s).message(), "--keep-last -1 is out of range 0 .. 100000");
  s = Keep(0, 0, 0, kMaxScheduleKeep + 1);
  EXPECT_FALSE(ValidateSchedule(s).ok());
}

TEST(SchedulePolicyTest, EncodeDecodeRoundTripsAndRejectsBadRecords) {
  BackupSchedule s = Keep(3, 24, 7, 4);
  s.set_ms = 1234;
  auto back = DecodeSchedule(EncodeSchedule(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(DecodeSchedule("{").status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(DecodeSchedule(R"({"every_ms":0,"keep_last":1,"keep_hourly":0,"keep_daily":0,)"
                           R"("keep_weekly":0,"set_ms":0})")
                .status()
                .code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(DecodeSchedule(R"({"every_ms":1000})").status().code(), ErrorCode::kCorruption);
}

TEST(SchedulePolicyTest, KeepLastKeepsTheNewest) {
  std::vector<SnapshotEntry> b;
  for (uint64_t i = 1; i <= 6; ++i) b.push_back(Backup(i, kMonday + i * kHour));
  int64_t now = kMonday + 7 * kHour;
  EXPECT_EQ(BackupsToExpire(Keep(2), b, now, 0), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(BackupsToExpire(Keep(6), b, now, 0), std::vector<uint64_t>{});
  EXPECT_EQ(BackupsToExpire(Keep(100), b, now, 0), std::vector<uint64_t>{});
}

TEST(SchedulePolicyTest, NoKeepFlagsKeepsEverything) {
  std::vector<SnapshotEntry> b = {Backup(1, kMonday), Backup(2, kMonday + kHour)};
  EXPECT_TRUE(BackupsToExpire(Keep(0), b, kMonday + kDay, 0).empty());
}

TEST(SchedulePolicyTest, BackupsTakenByHandAreNeverExpired) {
  std::vector<SnapshotEntry> b = {Backup(1, kMonday, false), Backup(2, kMonday + kHour),
                                  Backup(3, kMonday + 2 * kHour, false),
                                  Backup(4, kMonday + 3 * kHour)};
  // keep_last counts scheduled backups only: 4 is kept, 2 goes, 1 and 3 stay.
  EXPECT_EQ(BackupsToExpire(Keep(1), b, kMonday + 4 * kHour, 0), std::vector<uint64_t>{2});
}

TEST(SchedulePolicyTest, HourlyDailyWeeklyKeepTheNewestOfEachBucket) {
  std::vector<SnapshotEntry> b;
  uint64_t id = 0;
  // Every 20 minutes for 3 days from Monday 00:00: 216 backups.
  for (int64_t t = kMonday; t < kMonday + 3 * kDay; t += kHour / 3) b.push_back(Backup(++id, t));
  int64_t now = kMonday + 3 * kDay;
  // hourly 2: the newest of the last two hours (ids 216 and 213).
  EXPECT_EQ(BackupsToExpire(Keep(0, 2), b, now, 0).size(), b.size() - 2);
  auto kept = [&](const BackupSchedule& s) {
    std::vector<uint64_t> expire = BackupsToExpire(s, b, now, 0), out;
    for (const auto& e : b) {
      if (!std::binary_search(expire.begin(), expire.end(), e.id)) out.push_back(e.id);
    }
    return out;
  };
  EXPECT_EQ(kept(Keep(0, 2)), (std::vector<uint64_t>{213, 216}));
  // daily 2: the last of Wednesday (216) and of Tuesday (144).
  EXPECT_EQ(kept(Keep(0, 0, 2)), (std::vector<uint64_t>{144, 216}));
  // weekly 5: one week holds them all: only the newest.
  EXPECT_EQ(kept(Keep(0, 0, 0, 5)), (std::vector<uint64_t>{216}));
  // The union of the rules.
  EXPECT_EQ(kept(Keep(1, 2, 3)), (std::vector<uint64_t>{72, 144, 213, 216}));
}

TEST(SchedulePolicyTest, WeeksStartOnMondayUtc) {
  // Sunday 23:00 and Monday 01:00 are in different weeks.
  std::vector<SnapshotEntry> b = {Backup(1, kMonday - kHour), Backup(2, kMonday + kHour)};
  EXPECT_TRUE(BackupsToExpire(Keep(0, 0, 0, 2), b, kMonday + kDay, 0).empty());
  EXPECT_EQ(BackupsToExpire(Keep(0, 0, 0, 1), b, kMonday + kDay, 0), std::vector<uint64_t>{1});
}

TEST(SchedulePolicyTest, KeepsTheNewestBackupAtOrBeforeThePitrWindowStart) {
  std::vector<SnapshotEntry> b;
  for (uint64_t i = 1; i <= 6; ++i) b.push_back(Backup(i, kMonday + i * kHour));
  int64_t now = kMonday + 6 * kHour;
  // Window of 2.5 h: it starts at 3.5 h, after backup 3: restores into it start at 3.
  EXPECT_EQ(BackupsToExpire(Keep(1), b, now, 2 * kHour + kHour / 2),
            (std::vector<uint64_t>{1, 2, 4, 5}));
  // Window of exactly 3 h: backup 3 is at its start and still the one needed.
  EXPECT_EQ(BackupsToExpire(Keep(1), b, now, 3 * kHour), (std::vector<uint64_t>{1, 2, 4, 5}));
  // A window reaching before every backup: the oldest one is where the range starts.
  EXPECT_EQ(BackupsToExpire(Keep(1), b, now, 30 * kDay), (std::vector<uint64_t>{2, 3, 4, 5}));
  // Retention 0: the newest is needed (and kept anyway).
  EXPECT_EQ(BackupsToExpire(Keep(1), b, now, 0), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST(SchedulePolicyTest, ABackupByHandCanBeTheOneThePitrWindowNeeds) {
  std::vector<SnapshotEntry> b = {Backup(1, kMonday), Backup(2, kMonday + kHour),
                                  Backup(3, kMonday + 2 * kHour, false),
                                  Backup(4, kMonday + 5 * kHour)};
  // Window start at 3 h: backup 3 (by hand) is the newest before it; 1 and 2 may go.
  EXPECT_EQ(BackupsToExpire(Keep(1), b, kMonday + 6 * kHour, 3 * kHour),
            (std::vector<uint64_t>{1, 2}));
}

TEST(SchedulePolicyTest, PitrProtectionIsPerTimeline) {
  std::vector<SnapshotEntry> b = {
      Backup(1, kMonday), Backup(2, kMonday + kHour), Backup(3, kMonday + 2 * kHour, true, 2),
      Backup(4, kMonday + 3 * kHour, true, 2), Backup(5, kMonday + 4 * kHour, true, 2)};
  // Window start at 2.5 h: timeline 1 needs 2, timeline 2 needs 3; keep_last keeps 5.
  EXPECT_EQ(BackupsToExpire(Keep(1), b, kMonday + 5 * kHour, 2 * kHour + kHour / 2),
            (std::vector<uint64_t>{1, 4}));
}

}  // namespace
}  // namespace cairn
