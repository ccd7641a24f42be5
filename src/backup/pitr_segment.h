// Archived changelog segments (docs/pitr.md): `changelog/<first>-<last>.log` in backup
// storage, 20-digit zero-padded seqs so that listing order is seq order. A segment
// holds the changelog records first..last, zstd-compressed, with an xxhash64 of the
// whole file, so a flipped or truncated byte is Corruption naming the segment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "meta/changelog.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr uint32_t kSegmentFormatVersion = 1;
inline constexpr std::string_view kSegmentPrefix = "changelog/";

struct SegmentInfo {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string key;
  uint64_t size = 0;
  uint32_t timeline = 1;  // the timeline whose records it holds (docs/pitr.md "Timelines")
  // On a replay path (backup/timeline.h), the last seq of this segment that belongs to
  // the path: a parent timeline's segment past the branch point is cut there.
  uint64_t through_seq = 0;
};

// Timeline 1: "changelog/00000000000000000001-00000000000000000042.log" (the layout of
// clusters from before timelines); timeline N > 1:
// "changelog/0000000N/00000000000000000043-00000000000000000050.log".
std::string SegmentKey(uint64_t first_seq, uint64_t last_seq, uint32_t timeline = 1);
// False for keys that are not segment names.
bool ParseSegmentKey(std::string_view key, SegmentInfo* info);

// `records` must be non-empty and have consecutive seqs.
std::string EncodeSegment(const std::vector<ChangelogRecord>& records);
// Checks magic, version, checksum, framing and that the records are exactly
// expected.first_seq..expected.last_seq; errors name expected.key.
Result<std::vector<ChangelogRecord>> DecodeSegment(const SegmentInfo& expected,
                                                   std::string_view bytes);

// Every segment in backup storage, of every timeline, ascending (timeline, seq) (one paged
// listing); through_seq = last_seq.
Result<std::vector<SegmentInfo>> ListSegments(ObjectStore* store);
// The segment's records up to segment.through_seq (all of them when it is 0 or last_seq).
Result<std::vector<ChangelogRecord>> ReadSegment(ObjectStore* store, const SegmentInfo& segment);

// Seq ranges missing between consecutive segments, as "first..last" texts.
std::vector<std::string> SegmentGaps(const std::vector<SegmentInfo>& segments);

}  // namespace cairn
