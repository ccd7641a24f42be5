// What backup storage holds for point-in-time restore (internal to src/backup): the
// manifest, the archived segments, and the recoverable range they allow.
#pragma once

#include <cstdint>
#include <vector>

#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "backup/pitr_segment.h"
#include "common/result.h"

namespace cairn {

struct ArchiveView {
  Manifest manifest;
  std::vector<SegmentInfo> segments;  // ascending seq
  int64_t last_record_wall_ms = 0;    // wall time of the last archived record
};

// One manifest read, one listing, one read of the last segment.
Result<ArchiveView> LoadArchiveView(BackupStorage* backups);

// The latest epoch whose state a snapshot is known to contain completely: every record
// it holds was committed at or before its creation (the clock is read after the cut).
uint64_t SnapshotBoundEpoch(const SnapshotEntry& s);

// True when the archive holds every record after `s` that it holds at all, i.e. replay
// from `s` is not cut off by segments expired from the front.
bool CanReplayFrom(const SnapshotEntry& s, const std::vector<SegmentInfo>& segments);

RecoverableRange ComputeRange(const ArchiveView& view, int64_t checkpoint_interval_ms,
                              int64_t now_ms);

}  // namespace cairn
