#include "backup/pitr_range.h"

#include <algorithm>

#include "common/epoch.h"
#include "meta/time_spec.h"

namespace cairn {

namespace {

// Timelines that snapshots or segments name but that have no history object (a restored
// cluster archiving into a storage it was not restored from) are roots of their own.
void AddUnrecordedTimelines(const Manifest& manifest, const std::vector<SegmentInfo>& segments,
                            TimelineMap* timelines) {
  auto add = [&](uint32_t n) {
    if (!timelines->count(n)) (*timelines)[n] = TimelineHistory{n, 0};
  };
  for (const auto& s : manifest.snapshots) add(s.timeline);
  for (const auto& seg : segments) add(seg.timeline);
}

}  // namespace

Result<ArchiveView> LoadArchiveView(BackupStorage* backups, uint32_t timeline) {
  ArchiveView view;
  CAIRN_ASSIGN_OR_RETURN(view.manifest, backups->LoadManifest());
  CAIRN_ASSIGN_OR_RETURN(view.segments, ListSegments(backups->store()));
  CAIRN_ASSIGN_OR_RETURN(view.timelines, LoadTimelines(backups->store()));
  AddUnrecordedTimelines(view.manifest, view.segments, &view.timelines);
  view.timeline = timeline ? timeline : NewestTimeline(view.timelines);
  CAIRN_ASSIGN_OR_RETURN(view.path, TimelinePath(view.timelines, view.timeline));
  view.listed = view.manifest;
  FilterToPath(view.path, &view.manifest, &view.segments);
  if (!view.segments.empty()) {
    const SegmentInfo& last = view.segments.back();
    CAIRN_ASSIGN_OR_RETURN(auto records, ReadSegment(backups->store(), last));
    for (const auto& r : records) {  // the last record on the path (cut at a branch point)
      if (r.seq <= last.through_seq) view.last_record_wall_ms = r.wall_time_ms;
    }
  }
  return view;
}

uint64_t SnapshotBoundEpoch(const SnapshotEntry& s) {
  return std::max(s.epoch, MaxEpochAtMillis(s.created_ms));
}

bool CanReplayFrom(const SnapshotEntry& s, const std::vector<SegmentInfo>& segments) {
  return segments.empty() || s.changelog_seq + 1 >= segments.front().first_seq;
}

RecoverableRange ComputeRange(const ArchiveView& view, int64_t checkpoint_interval_ms,
                              int64_t now_ms, int64_t pitr_retention_ms) {
  RecoverableRange range;
  range.timeline = view.timeline;
  range.segments = view.segments.size();
  if (!view.segments.empty()) {
    range.first_archived_seq = view.segments.front().first_seq;
    range.last_archived_seq = view.segments.back().through_seq;
  }
  range.gaps = SegmentGaps(view.segments);
  int64_t newest_ms = view.last_record_wall_ms;
  for (const auto& s : view.manifest.snapshots) {
    if (!CanReplayFrom(s, view.segments)) continue;
    range.from_ms = range.empty ? s.created_ms : std::min(range.from_ms, s.created_ms);
    newest_ms = std::max(newest_ms, s.created_ms);
    range.empty = false;
    range.snapshots++;
  }
  if (range.empty) return range;
  range.to_ms = std::min(now_ms, newest_ms + checkpoint_interval_ms);
  if (pitr_retention_ms >= 0 && now_ms - pitr_retention_ms > range.from_ms) {
    range.clamped_by_retention = true;
    range.from_ms = now_ms - pitr_retention_ms;
    if (range.from_ms >= range.to_ms) range.empty = true;  // latest only
  }
  range.from_epoch = MaxEpochAtMillis(range.from_ms);
  range.to_epoch = MaxEpochAtMillis(range.to_ms);
  return range;
}

std::string RecoverableRange::ToString() const {
  if (empty && clamped_by_retention) {
    return "recoverable range: empty (pitr_retention keeps no history older than now; "
           "restore a backup with --snapshot-id)";
  }
  if (empty) return "recoverable range: empty (no snapshot to start from)";
  std::string out = "recoverable range: " + FormatRfc3339Millis(from_ms) + " (epoch " +
                    std::to_string(from_epoch) + ") .. " + FormatRfc3339Millis(to_ms) + " (epoch " +
                    std::to_string(to_epoch) + ")";
  for (const auto& gap : gaps) out += "; archived changelog gap: seqs " + gap + " missing";
  if (timeline > 1) out += " (timeline " + std::to_string(timeline) + ")";
  return out;
}

Result<RecoverableRange> ComputeRecoverableRange(BackupStorage* backups,
                                                 int64_t checkpoint_interval_ms, Clock* clock,
                                                 int64_t pitr_retention_ms) {
  if (clock == nullptr) clock = SystemClock::Default();
  CAIRN_ASSIGN_OR_RETURN(ArchiveView view, LoadArchiveView(backups));
  return ComputeRange(view, checkpoint_interval_ms, clock->NowMillis(), pitr_retention_ms);
}

Result<std::vector<TimelineRange>> ComputeTimelineRanges(BackupStorage* backups,
                                                         int64_t checkpoint_interval_ms,
                                                         Clock* clock, int64_t pitr_retention_ms) {
  if (clock == nullptr) clock = SystemClock::Default();
  CAIRN_ASSIGN_OR_RETURN(ArchiveView newest, LoadArchiveView(backups));
  std::vector<TimelineRange> out;
  for (const auto& [n, history] : newest.timelines) {
    CAIRN_ASSIGN_OR_RETURN(ArchiveView view, LoadArchiveView(backups, n));
    TimelineRange t{n, history.parent, history.branch_seq, history.branch_ms, history.restore};
    t.range = ComputeRange(view, checkpoint_interval_ms, clock->NowMillis(), pitr_retention_ms);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace cairn
