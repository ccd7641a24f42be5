// What backup storage holds for point-in-time restore (internal to src/backup): the
// manifest, the archived segments, and the recoverable range they allow.
#pragma once

#include <cstdint>
#include <vector>

#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "backup/pitr_segment.h"
#include "backup/timeline.h"
#include "common/result.h"

namespace cairn {

// What backup storage holds for one timeline's history (backup/timeline.h): the
// snapshots and segments on its path, everything else filtered out.
struct ArchiveView {
  Manifest manifest;                  // only the snapshots on the path
  Manifest listed;                    // every snapshot of the storage (pins, id bumps)
  std::vector<SegmentInfo> segments;  // on the path, ascending seq, cut at the branch points
  int64_t last_record_wall_ms = 0;    // wall time of the last archived record on the path
  TimelineMap timelines;              // every timeline of the storage
  uint32_t timeline = 1;              // the one this view follows
  std::vector<PathStep> path;
};

// One manifest read, two listings (segments, timelines), one read of the last segment.
// `timeline` 0 = the newest timeline. NotFound for an unknown timeline.
Result<ArchiveView> LoadArchiveView(BackupStorage* backups, uint32_t timeline = 0);

// The latest epoch whose state a snapshot is known to contain completely: every record
// it holds was committed at or before its creation (the clock is read after the cut).
uint64_t SnapshotBoundEpoch(const SnapshotEntry& s);

// True when the archive holds every record after `s` that it holds at all, i.e. replay
// from `s` is not cut off by segments expired from the front.
bool CanReplayFrom(const SnapshotEntry& s, const std::vector<SegmentInfo>& segments);

RecoverableRange ComputeRange(const ArchiveView& view, int64_t checkpoint_interval_ms,
                              int64_t now_ms, int64_t pitr_retention_ms = -1);

}  // namespace cairn
