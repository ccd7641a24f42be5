#include "backup/pitr_range.h"

#include <algorithm>

#include "common/epoch.h"
#include "meta/time_spec.h"

namespace cairn {

Result<ArchiveView> LoadArchiveView(BackupStorage* backups) {
  ArchiveView view;
  CAIRN_ASSIGN_OR_RETURN(view.manifest, backups->LoadManifest());
  CAIRN_ASSIGN_OR_RETURN(view.segments, ListSegments(backups->store()));
  if (!view.segments.empty()) {
    CAIRN_ASSIGN_OR_RETURN(auto records, ReadSegment(backups->store(), view.segments.back()));
    view.last_record_wall_ms = records.back().wall_time_ms;
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
                              int64_t now_ms) {
  RecoverableRange range;
  range.segments = view.segments.size();
  if (!view.segments.empty()) {
    range.first_archived_seq = view.segments.front().first_seq;
    range.last_archived_seq = view.segments.back().last_seq;
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
  range.from_epoch = MaxEpochAtMillis(range.from_ms);
  range.to_epoch = MaxEpochAtMillis(range.to_ms);
  return range;
}

std::string RecoverableRange::ToString() const {
  if (empty) return "recoverable range: empty (no snapshot to start from)";
  std::string out = "recoverable range: " + FormatRfc3339Millis(from_ms) + " (epoch " +
                    std::to_string(from_epoch) + ") .. " + FormatRfc3339Millis(to_ms) + " (epoch " +
                    std::to_string(to_epoch) + ")";
  for (const auto& gap : gaps) out += "; archived changelog gap: seqs " + gap + " missing";
  return out;
}

Result<RecoverableRange> ComputeRecoverableRange(BackupStorage* backups,
                                                 int64_t checkpoint_interval_ms, Clock* clock) {
  if (clock == nullptr) clock = SystemClock::Default();
  CAIRN_ASSIGN_OR_RETURN(ArchiveView view, LoadArchiveView(backups));
  return ComputeRange(view, checkpoint_interval_ms, clock->NowMillis());
}

}  // namespace cairn
