// Timelines (design.md §6a, docs/pitr.md "Timelines"; PostgreSQL's idea): a cluster
// starts on timeline 1; every restore starts the next free timeline of the backup storage
// it restores from, recorded there as a small history object
// `timelines/<N: 8 digits>.json` naming its parent and the branch point. Snapshots
// (manifest entries) and archived changelog segments carry their timeline, so one backup
// storage serves every timeline and nothing of one is replayed on behalf of another.
//
// The history of timeline N is the chain N, parent(N), ... 1. Replaying "timeline N"
// means: a parent's records up to the seq at which its child branched off, then the
// child's. Timeline 1 has no history object (it has no parent).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "backup/manifest.h"
#include "backup/pitr_segment.h"
#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr std::string_view kTimelinePrefix = "timelines/";
inline constexpr uint64_t kWholeTimeline = std::numeric_limits<uint64_t>::max();

struct TimelineHistory {
  uint32_t timeline = 1;
  uint32_t parent = 0;      // 0 for timeline 1
  uint64_t branch_seq = 0;  // the parent's state at this changelog seq is the start
  uint64_t branch_epoch = 0;
  int64_t branch_ms = 0;
  int64_t created_ms = 0;        // when the restore made it
  uint64_t first_object_id = 0;  // the restored cluster's first object id: everything
                                 // below it was written by an ancestor (vacuum keeps it)
  std::string restore;           // what made it: "snapshot 3 of ..." / "epoch E ..."
  std::string cluster_id;
};

// timeline -> history, with timeline 1 (implicit) always present.
using TimelineMap = std::map<uint32_t, TimelineHistory>;

std::string TimelineKey(uint32_t timeline);
std::string EncodeTimeline(const TimelineHistory& history);
Result<TimelineHistory> DecodeTimeline(std::string_view bytes, const std::string& where);

// Every history object of `store` (one listing); Corruption naming a damaged one or a
// parent that does not exist.
Result<TimelineMap> LoadTimelines(ObjectStore* store);
// Create-only: AlreadyExists when another restore took that number first.
Status WriteTimeline(ObjectStore* store, const TimelineHistory& history);

uint32_t NewestTimeline(const TimelineMap& timelines);

// One timeline on a replay path and the last seq of it that the path uses.
struct PathStep {
  uint32_t timeline = 1;
  uint64_t through_seq = kWholeTimeline;
};
// [target, parent, grandparent, ...]: the target's own records in full, each ancestor's
// up to the branch seq of its child. NotFound for an unknown timeline.
Result<std::vector<PathStep>> TimelinePath(const TimelineMap& timelines, uint32_t target);

// The snapshots and segments that describe `path`: snapshots on a path timeline at or
// before its through_seq; segments of path timelines, ascending seq, each cut at its
// step's through_seq (SegmentInfo::through_seq) and dropped when entirely past it.
void FilterToPath(const std::vector<PathStep>& path, Manifest* manifest,
                  std::vector<SegmentInfo>* segments);

// "timeline 3 (from timeline 1 at seq 42, 2026-…)" for errors and `backup list`.
std::string DescribeTimeline(const TimelineHistory& history);

}  // namespace cairn
