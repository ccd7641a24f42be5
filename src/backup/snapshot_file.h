// The backup snapshot file (docs/backup-format.md): a consistent cut of every
// non-transient meta key, streamed through zstd with a whole-file xxhash64, so a
// meta store of any size is written and read in bounded memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr uint32_t kSnapshotFormatVersion = 1;

struct SnapshotHeader {
  uint32_t format_version = kSnapshotFormatVersion;
  uint64_t snapshot_id = 0;
  int64_t meta_revision = 0;
  uint64_t changelog_seq = 0;
  int64_t created_ms = 0;
  std::string cluster_id;
  // The cluster's timeline at the cut (issue 12), after cluster_id in the header. Files
  // from before carry none: they read as timeline 1 with timeline_recorded false (older
  // readers ignore the extra header bytes, so the format version stays 1).
  uint32_t timeline = 1;
  bool timeline_recorded = false;  // set by readers
};

struct SnapshotFileInfo {
  uint64_t file_size = 0;
  uint64_t record_count = 0;
  uint64_t checksum = 0;  // xxhash64 of every byte before the trailer
};

class SnapshotWriter {
 public:
  // Starts streaming a snapshot to `key`; nothing is visible until Finish().
  static Result<std::unique_ptr<SnapshotWriter>> Create(ObjectStore* store, std::string_view key,
                                                        const SnapshotHeader& header);
  virtual ~SnapshotWriter() = default;
  virtual Status Add(std::string_view key, std::string_view value) = 0;
  virtual Result<SnapshotFileInfo> Finish() = 0;
  virtual void Abort() = 0;
};

using SnapshotRecordFn = std::function<Status(std::string_view key, std::string_view value)>;

// Streams the records of snapshot `key` to `fn` in file order (ascending keys).
// Checks magic, format version (a future version is a clear error), framing, the
// record count and the whole-file checksum; the checksum is known only at the end,
// so callers must not act irrevocably on records before this returns OK.
Status ReadSnapshot(ObjectStore* store, std::string_view key, SnapshotHeader* header,
                    SnapshotFileInfo* info, const SnapshotRecordFn& fn);

// Reads only the header (cheap: one ranged read).
Result<SnapshotHeader> ReadSnapshotHeader(ObjectStore* store, std::string_view key);

}  // namespace cairn
