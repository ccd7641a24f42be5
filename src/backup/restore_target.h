// The restore target (design.md §6, docs/backup-format.md "Crash-safe restore"): what
// snapshot restore (restore.cc) and point-in-time restore (pitr_restore.cc) check and
// write around the restored data, so that every caller — the CLI, the server, clones,
// the simulator — gets the same safety:
//   - CheckRestoreSafety, before anything is written: no live server on the object store
//     (unless force), the object store belongs to the restored cluster or to none, and
//     the target is empty, an unfinished restore, or (overwrite) the same cluster's;
//   - id generators above everything ever issued (BumpIdGenerators, MaxIdsIn);
//   - WriteRestoreTarget: the first transaction writes the restore marker; then the data;
//     then the id generators and the pins; then the object store's identity, the new
//     timeline's history in backup storage and a fence on the writer lease; the last
//     transaction sets the timeline (and its pin) and removes the marker. A failure clears the
//     target (and removes a store the restore created: MetaStore::RemoveCreated) and says
//     whether that worked; a crash leaves the marker, which a server refuses.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backup/manifest.h"
#include "backup/timeline.h"
#include "common/clock.h"
#include "common/result.h"
#include "meta/changelog.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

// Puts in transactions within the target's BulkTxnLimits (a restore of any size never builds
// one huge txn). The restore marker, written first and deleted by the last commit, makes
// the many commits one all-or-nothing restore to a server (meta/restore_marker.h).
class RestoreBatchWriter {
 public:
  explicit RestoreBatchWriter(MetaStore* target) : target_(target) {}
  Status Put(std::string key, std::string value);
  // A delete, batched like Put (within a transaction a later op on a key wins).
  Status Delete(std::string key);
  // Commits the batch, then the range delete [begin, end) alone (etcd refuses a txn
  // whose range delete overlaps one of its puts).
  Status DeleteRange(std::string begin, std::string end);
  Status Flush();
  uint64_t commits() const { return commits_; }

 private:
  Status Add(Op op);

  MetaStore* target_;
  Txn txn_;
  size_t bytes_ = 0;
  uint64_t commits_ = 0;
};

struct RestoreSafetyOptions {
  bool overwrite = false;  // replace a non-empty target that holds the same cluster
  bool force = false;      // skip the live-lease check: the holder is known to be dead
  Clock* clock = nullptr;  // lease expiry; nullptr = SystemClock::Default()
};

struct RestoreTargetState {
  bool empty = true;        // the target holds no key
  bool unfinished = false;  // it holds an unfinished restore (replaced without overwrite)
};

// Every check before the first write, in this order: live writer lease (Busy), the
// object store's identity against `cluster_id` (FailedPrecondition), the target
// (AlreadyExists when not empty without overwrite; FailedPrecondition when it holds
// another cluster). Writes nothing.
Result<RestoreTargetState> CheckRestoreSafety(ObjectStore* objects, MetaStore* target,
                                              const std::string& cluster_id,
                                              const RestoreSafetyOptions& options);

// Raises `ids` (generator -> next id) above every snapshot in the manifest, every
// object listed in the object store, and every backup id.
void BumpIdGenerators(const Manifest& manifest, uint64_t max_listed_object,
                      std::map<std::string, uint64_t>* ids);
// Raises `ids` to every ids/<name> value that an archived record after the newest
// snapshot of its timeline puts, on every timeline (they share the object store): ids
// issued after the newest snapshot (tables, backups, objects since vacuumed) are known
// only to the archived changelog. *scanned counts the records read.
Status RaiseIdsFromArchive(BackupStorage* backups, const Manifest& manifest,
                           std::map<std::string, uint64_t>* ids, uint64_t* scanned);
// Raises `ids` to every ids/<name> value `record` puts.
void MaxIdsIn(const ChangelogRecord& record, std::map<std::string, uint64_t>* ids);

// A restore that creates a clone (backup/clone.h, docs/clones.md) instead of the
// backup's own cluster: the target gets `cluster_id` and `keys` (written after the data,
// replacing the snapshot's), no backup pins of the source's storage, and timeline 1 of
// its own — nothing is recorded in the source's backup storage.
struct CloneSpec {
  std::string cluster_id;
  std::vector<std::pair<std::string, std::string>> keys;
};

// What WriteRestoreTarget writes besides the data.
struct RestoreHead {
  std::string what;        // marker text and identity note: "snapshot 3 of <storage>"
  std::string cluster_id;  // the restored cluster, for the object store's identity
  std::map<std::string, uint64_t> ids;
  const Manifest* manifest = nullptr;  // one pin per listed backup
  Clock* clock = nullptr;
  BackupStorage* backups = nullptr;  // where the new timeline's history is recorded
  TimelineHistory timeline;          // the timeline the restore starts (PlanTimeline)
  std::string storage_id;            // the backups' storage id, recorded by the pins
  const CloneSpec* clone = nullptr;  // set: the restore creates this clone
  // An empty target only. Set: called once the data is written, before the ids and pins:
  // the end of a check that ran alongside the write (restore.cc: the SST check, which
  // raises `ids`). Its failure is the restore's answer as is, once the target is cleared.
  std::function<Status(RestoreHead*)> checked;
};

// The timeline a restore into `backups` starts: the next free number, branching from
// `parent` at the restored state's changelog seq, epoch and time. Writes nothing.
Result<TimelineHistory> PlanTimeline(BackupStorage* backups, uint32_t parent, uint64_t seq,
                                     uint64_t epoch, int64_t branch_ms, const std::string& what,
                                     const std::string& cluster_id, int64_t now_ms);
// The storage id the pins will record: the storage's own, or the one Seal will give it.
Result<std::string> PlanStorageId(BackupStorage* backups, int64_t now_ms);

// Writes the restore (see the file comment). `fill` streams the data into the batch
// writer; it must not write ids/ or pins.
Status WriteRestoreTarget(MetaStore* target, ObjectStore* objects, const RestoreTargetState& state,
                          RestoreHead head, const std::function<Status(RestoreBatchWriter*)>& fill);

}  // namespace cairn
