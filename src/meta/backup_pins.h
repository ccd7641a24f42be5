// Backup pins: what keeps vacuum from deleting an SST that a backup references
// (design.md §5, docs/backup-format.md "Pins").
//
// Every object id is allocated from a monotonic generator, and every SST leaves the
// version at a recorded stale epoch. A backup cut at epoch E, taken when the object id
// generator stood at M, references only objects with id < M that left the version at or
// after E. So one pin per backup — (E, M), never one per SST — is enough, and the gate
// check is a binary search: 10,000 backups cost 10,000 small keys, not a full
// recomputation over SSTs. Pins are conservative: they may keep an object no backup
// references, never the reverse.
//
// An in-progress backup pins (E_pin, infinity) *before* its cut: everything that
// leaves the version from E_pin on is kept until the cut finishes and the pin narrows to
// the cut's (E, M) — so compaction between pin and cut cannot lose an SST of the cut.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

inline constexpr uint64_t kPinInProgress = std::numeric_limits<uint64_t>::max();

struct BackupPin {
  uint64_t backup_id = 0;
  uint64_t epoch = 0;          // objects stale at or after this epoch may be referenced
  uint64_t max_object_id = 0;  // exclusive bound on referenced ids; kPinInProgress = all
  // The backup storage whose backup this is (its storage id, BackupStorage::StorageId),
  // and when the pin was written. Empty/0 for pins from before pins were owned: those
  // are never purged as orphans, only released by deleting their backup.
  std::string storage_id;
  int64_t created_ms = 0;
};

// The timeline pin a restore leaves (keys::kTimelinePin): vacuum keeps every object with
// an id below first_object_id (written by an older timeline) until created_ms + the PITR
// retention, so PITR on the older timelines keeps working (docs/pitr.md "Timelines").
struct TimelinePin {
  uint64_t first_object_id = 0;
  int64_t created_ms = 0;
};
std::string EncodeTimelinePin(const TimelinePin& pin);
// nullopt when the meta store has none.
Result<std::optional<TimelinePin>> LoadTimelinePin(MetaStore* store);

std::string PinKey(uint64_t backup_id);
std::string EncodePin(const BackupPin& pin);
Result<BackupPin> DecodePin(std::string_view key, std::string_view value);

class PinSet {
 public:
  PinSet() = default;
  explicit PinSet(std::vector<BackupPin> pins);

  // Reads every pin (backup/pin/...) at the latest revision.
  static Result<PinSet> Load(MetaStore* store);

  // True when some backup may reference object `object_id`, which left the version at
  // `stale_epoch` (pass kPinInProgress for an object in no stale list: an orphan).
  bool Protects(uint64_t object_id, uint64_t stale_epoch) const;

  size_t size() const { return by_epoch_.size(); }
  const std::vector<BackupPin>& pins() const { return by_epoch_; }

 private:
  std::vector<BackupPin> by_epoch_;       // ascending epoch
  std::vector<uint64_t> prefix_max_ids_;  // max max_object_id over by_epoch_[0..i]
};

}  // namespace cairn
