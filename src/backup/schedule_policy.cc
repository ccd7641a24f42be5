#include "backup/schedule_policy.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/epoch.h"
#include "meta/duration.h"

namespace cairn {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// 1970-01-01 was a Thursday: shifting by 3 days makes weeks start on Monday.
int64_t WeekOf(int64_t ms) { return FloorDiv(FloorDiv(ms, kDayMs) + 3, 7); }

// Keeps the newest backup of each of the `count` newest buckets (newest first input).
void KeepPerBucket(const std::vector<const SnapshotEntry*>& newest_first, int64_t count,
                   int64_t (*bucket)(int64_t), std::set<uint64_t>* keep) {
  std::set<int64_t> seen;
  for (const SnapshotEntry* e : newest_first) {
    if (static_cast<int64_t>(seen.size()) >= count) return;
    if (seen.insert(bucket(e->created_ms)).second) keep->insert(e->id);
  }
}

int64_t HourOf(int64_t ms) { return FloorDiv(ms, kHourMs); }
int64_t DayOf(int64_t ms) { return FloorDiv(ms, kDayMs); }

// Per timeline: the newest backup at or before the window's start, else the oldest.
std::set<uint64_t> NeededByPitrWindow(const std::vector<SnapshotEntry>& backups, int64_t now_ms,
                                      int64_t pitr_retention_ms) {
  int64_t window_start = SaturatingSubMillis(now_ms, pitr_retention_ms);
  std::map<uint32_t, const SnapshotEntry*> before, oldest;
  for (const SnapshotEntry& e : backups) {
    auto older = [](const SnapshotEntry* a, const SnapshotEntry& b) {
      return a == nullptr || b.created_ms < a->created_ms ||
             (b.created_ms == a->created_ms && b.id < a->id);
    };
    if (older(oldest[e.timeline], e)) oldest[e.timeline] = &e;
    if (e.created_ms <= window_start) {
      const SnapshotEntry*& b = before[e.timeline];
      if (b == nullptr || e.created_ms > b->created_ms ||
          (e.created_ms == b->created_ms && e.id > b->id)) {
        b = &e;
      }
    }
  }
  std::set<uint64_t> needed;
  for (const auto& [timeline, first] : oldest) {
    const SnapshotEntry* b = before[timeline];
    needed.insert(b != nullptr ? b->id : first->id);
  }
  return needed;
}

Status CheckRange(const char* what, int64_t value, int64_t min, int64_t max, bool duration) {
  if (value >= min && value <= max) return Status::OK();
  auto text = [&](int64_t v) { return duration ? FormatDurationMs(v) : std::to_string(v); };
  return Status::InvalidArgument(std::string(what) + " " + text(value) + " is out of range " +
                                 text(min) + " .. " + text(max));
}

}  // namespace

Status ValidateSchedule(const BackupSchedule& s) {
  CAIRN_RETURN_IF_ERROR(
      CheckRange("--every", s.every_ms, kMinScheduleEveryMs, kMaxScheduleEveryMs, true));
  CAIRN_RETURN_IF_ERROR(CheckRange("--keep-last", s.keep_last, 0, kMaxScheduleKeep, false));
  CAIRN_RETURN_IF_ERROR(CheckRange("--keep-hourly", s.keep_hourly, 0, kMaxScheduleKeep, false));
  CAIRN_RETURN_IF_ERROR(CheckRange("--keep-daily", s.keep_daily, 0, kMaxScheduleKeep, false));
  return CheckRange("--keep-weekly", s.keep_weekly, 0, kMaxScheduleKeep, false);
}

std::string EncodeSchedule(const BackupSchedule& s) {
  nlohmann::json doc = {{"every_ms", s.every_ms},       {"keep_last", s.keep_last},
                        {"keep_hourly", s.keep_hourly}, {"keep_daily", s.keep_daily},
                        {"keep_weekly", s.keep_weekly}, {"set_ms", s.set_ms},
                        {"copy_data", s.copy_data}};
  return doc.dump();
}

Result<BackupSchedule> DecodeSchedule(std::string_view text) {
  BackupSchedule s;
  try {
    auto doc = nlohmann::json::parse(text);
    s.every_ms = doc.at("every_ms").get<int64_t>();
    s.keep_last = doc.at("keep_last").get<int64_t>();
    s.keep_hourly = doc.at("keep_hourly").get<int64_t>();
    s.keep_daily = doc.at("keep_daily").get<int64_t>();
    s.keep_weekly = doc.at("keep_weekly").get<int64_t>();
    s.set_ms = doc.at("set_ms").get<int64_t>();
    s.copy_data = doc.value("copy_data", false);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("backup schedule record: ") + e.what());
  }
  Status valid = ValidateSchedule(s);
  if (!valid.ok()) return Status::Corruption("backup schedule record: " + valid.message());
  return s;
}

std::vector<uint64_t> BackupsToExpire(const BackupSchedule& schedule,
                                      const std::vector<SnapshotEntry>& backups, int64_t now_ms,
                                      int64_t pitr_retention_ms) {
  if (schedule.KeepsAll()) return {};
  std::vector<const SnapshotEntry*> scheduled;
  for (const SnapshotEntry& e : backups) {
    if (e.remarks == kScheduledRemarks) scheduled.push_back(&e);
  }
  std::sort(scheduled.begin(), scheduled.end(), [](const SnapshotEntry* a, const SnapshotEntry* b) {
    return a->created_ms != b->created_ms ? a->created_ms > b->created_ms : a->id > b->id;
  });
  std::set<uint64_t> keep = NeededByPitrWindow(backups, now_ms, pitr_retention_ms);
  for (int64_t i = 0; i < schedule.keep_last && i < static_cast<int64_t>(scheduled.size()); ++i) {
    keep.insert(scheduled[i]->id);
  }
  KeepPerBucket(scheduled, schedule.keep_hourly, HourOf, &keep);
  KeepPerBucket(scheduled, schedule.keep_daily, DayOf, &keep);
  KeepPerBucket(scheduled, schedule.keep_weekly, WeekOf, &keep);
  std::vector<uint64_t> expire;
  for (const SnapshotEntry* e : scheduled) {
    if (!keep.count(e->id)) expire.push_back(e->id);
  }
  std::sort(expire.begin(), expire.end());
  return expire;
}

}  // namespace cairn
