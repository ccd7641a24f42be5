// BackupService: create, list, show, delete, verify backups and purge what crashed
// backups left behind (design.md §5). Backups copy no data: a snapshot of the meta
// store plus pins that keep the referenced SSTs alive; with copy_data (--copy-data) also
// a copy of every referenced SST in backup storage, incremental (sst_copy.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <string>

#include "backup/manifest.h"
#include "backup/sst_copy.h"
#include "common/clock.h"
#include "common/result.h"
#include "meta/meta_writer.h"
#include "object_store/object_store.h"

namespace cairn {

struct BackupMetrics {
  uint64_t jobs_succeeded = 0;
  uint64_t jobs_failed = 0;
  double last_duration_ms = 0;
  uint64_t last_snapshot_bytes = 0;
  uint64_t last_sst_count = 0;  // SSTs the last backup references (and pins)
  // Where the last successful backup's time went (ms): orphan purge (with its manifest
  // read), backup id + pin commit, cut (snapshot read, compress, write, fsync), narrowed
  // pin commit, manifest entry (and compaction).
  double last_purge_ms = 0, last_pin_ms = 0, last_cut_ms = 0, last_narrow_ms = 0,
         last_publish_ms = 0, last_copy_ms = 0;
  // --copy-data: the running copy (live), bytes copied into backup storage by every job
  // (counter), and what the last self-contained backup added.
  bool copy_running = false;
  uint64_t copy_ssts_total = 0, copy_ssts_done = 0, copy_bytes_total = 0, copy_bytes_done = 0;
  uint64_t copied_bytes = 0, copied_ssts = 0;
  uint64_t last_copy_added_bytes = 0, last_copy_added_ssts = 0;
};

struct BackupCreateOptions {
  bool copy_data = false;  // also copy every referenced SST into backup storage
  int copy_threads = 4;    // SSTs copied at once
};

struct VerifyReport {
  uint64_t records = 0;
  uint64_t sst_count = 0;       // SSTs listed with their recorded sizes
  bool deep = false;            // every SST was also read and checksummed
  uint64_t ssts_checked = 0;    // SSTs read deeply (0 unless deep)
  uint64_t bytes_read = 0;      // SST bytes read deeply
  bool self_contained = false;  // the backup holds copies of its SSTs (--copy-data)
  uint64_t copies_checked = 0;  // copies read and checksummed (deep) or listed
  uint64_t copy_bytes_read = 0;
};

// Deep verify progress: SSTs read so far, of total, and their bytes. A non-OK return
// stops the verify and is its result.
using VerifyProgress = std::function<Status(uint64_t done, uint64_t total, uint64_t bytes)>;

struct PurgeReport {
  uint64_t files = 0;   // snapshot files no manifest entry references
  uint64_t pins = 0;    // pins of backups that are neither listed nor running
  uint64_t copies = 0;  // copy lists and copied SSTs no listed backup needs
};

class BackupService {
 public:
  static constexpr int64_t kOrphanGraceMs = 3600 * 1000;
  // Backup create purges orphans at most this often (and whenever manifest.json is
  // missing).
  static constexpr int64_t kPurgeIntervalMs = 60 * 1000;

  // `objects` is the cluster's object store (for SST checks); `backups` is backup storage.
  BackupService(MetaWriter* meta, ObjectStore* objects, ObjectStore* backups, Clock* clock);

  // Cuts, pins, writes the snapshot, records it in the manifest: one durable meta commit
  // (backup id + the cut's exact pin; two when the version moves between cut and pin:
  // id + in-progress pin, then the narrowed pin) and one small create-only object in
  // backup storage (plus, every compact_after() changes, the index). One job at a time: a
  // concurrent request gets Busy("backup already running"). On failure no pin and no
  // file are left behind. A job first purges what crashed jobs left (older than
  // kOrphanGraceMs), at most once per kPurgeIntervalMs.
  // With options.copy_data, before the entry is published every SST of the cut is in
  // backup storage (sst/<id>.sst; copied unless an earlier backup's copy list names it
  // with the same size) and the copy list copies/<id>.list records them; a failed copy
  // publishes nothing (copies written stay, for the next job to adopt).
  Result<SnapshotEntry> Create(const std::string& remarks, const BackupCreateOptions& options = {});
  Result<Manifest> List();
  Result<SnapshotEntry> Show(uint64_t id);
  // Removes the manifest entry (a tombstone object), then the pin, then the file; for a
  // self-contained backup then the copies no remaining backup lists, then its copy list
  // (while a backup job runs, or on a failure, they are left to the orphan purge).
  Status Delete(uint64_t id);
  // Checks the snapshot file against its manifest entry, then one listing of data/:
  // every referenced SST exists (else NotFound) with its recorded size (else
  // Corruption naming it). With `deep`, also reads every SST one block at a time and
  // checks the footer and every block checksum (Corruption naming SST and block);
  // `progress` (may be null) is called after each SST read.
  Result<VerifyReport> Verify(uint64_t id, bool deep = false, const VerifyProgress& progress = {});
  // Deletes snapshot files that no manifest entry references and that are older than
  // `grace_ms` (a running backup's file is younger), and pins of this backup storage
  // (docs/backup-format.md "Pins are owned") whose backup is not listed, older than
  // `grace_ms`. Pins of other storages are never touched. FailedPrecondition, deleting
  // nothing, when manifest.json is missing but snapshot files exist.
  // Also deletes copy lists and copied SSTs (sst/) that no listed backup needs, older
  // than `grace_ms`.
  Result<PurgeReport> PurgeOrphans(int64_t grace_ms);
  // At server start, before any backup: removes the pins that crashed backup jobs left
  // (in progress; and this storage's, unlisted, at once — no job can be running).
  Result<PurgeReport> RecoverAtStart();

  BackupMetrics metrics();

 private:
  // `layout_known`: this job's purge succeeded, or was skipped (layout_ is current).
  // *id_out is the id allocated (0 if none).
  Result<SnapshotEntry> CreateLocked(const std::string& remarks, bool layout_known,
                                     const BackupCreateOptions& options, uint64_t* id_out);
  // Copies the cut's SSTs (`ssts`) into backup storage and writes the copy list; fills
  // entry->copy.
  Status CopyData(SnapshotEntry* entry, const std::vector<SnapshotSst>& ssts,
                  const BackupCreateOptions& options);
  // Verify's part for a self-contained backup: its copy list matches the snapshot's SSTs,
  // backup storage lists every copy with its size, and (deep) every copy's checksum.
  Status VerifyCopiesOf(const SnapshotEntry& entry, const VerifiedSnapshot& snapshot, bool deep,
                        const VerifyProgress& progress, VerifyReport* report);
  // After Delete: the copies of `deleted` no listed backup needs, then its list.
  void FreeCopies(const SnapshotEntry& deleted);
  // A backup id, its pin and the meta snapshot to cut.
  struct PinnedCut {
    uint64_t id = 0;
    std::unique_ptr<MetaSnapshot> snapshot;
    bool exact = false;  // pinned (epoch, max_object_id) of this snapshot: no narrowing
    uint64_t epoch = 0, max_object_id = 0;
  };
  static constexpr int kPinAtCutAttempts = 4;
  // Allocates the backup id and pins (docs/backup-format.md "Order of backup create"):
  // one commit of id + exact pin conditional on the cut's version (usually), else id +
  // in-progress pin, narrowed by Cut. Sets running_id_.
  Result<PinnedCut> PinAtCut();
  // The smallest id a new backup may take: above every id the manifest (index, entries,
  // tombstones) and the snapshot files name, as last read. ids/backup alone is not
  // enough: a restore raises it above the listed backups only, and a deleted backup's
  // tombstone (or leftover file) would hide (or block) a new backup with its id.
  uint64_t IdFloor();
  // Commits ids/backup = id + 1 (if `id_kv` is unchanged) and the pin, if `compares` hold.
  Status CommitPin(uint64_t id, const std::optional<KeyValue>& id_kv, uint64_t epoch,
                   uint64_t max_object_id, std::vector<Compare> compares);
  // `ssts` (may be null) receives the cut's SSTs.
  Result<SnapshotEntry> Cut(PinnedCut* cut, const std::string& remarks,
                            std::vector<SnapshotSst>* ssts);
  // Adds `entry` to the manifest (one create-only entry object; compacts now and then).
  // On failure *may_be_listed says whether the entry might still have landed (then its
  // file and pin must stay).
  Status Publish(const SnapshotEntry& entry, bool layout_known, bool* may_be_listed);
  // Compacts the manifest when layout_ says it is due (manifest_mu_ held).
  void CompactIfDue(const std::string& what);
  // `copies`: also purge orphaned copies (reads every copy list).
  Result<PurgeReport> Purge(int64_t grace_ms, ManifestLayout* layout, bool copies);
  Status SetPin(uint64_t id, uint64_t epoch, uint64_t max_object_id);
  Status RemovePin(uint64_t id);
  void RemovePinOrLeaveItToPurge(uint64_t id);  // a failure is logged: purge removes it
  // `except_file`: a snapshot file that does not count (the one being published).
  Result<Manifest> LoadManifestForPurge(const std::string& except_file = "",
                                        ManifestLayout* layout = nullptr);
  // kNoGrace: at start, every unlisted pin of this storage (and every in-progress pin).
  static constexpr int64_t kNoGrace = std::numeric_limits<int64_t>::max();
  Result<uint64_t> PurgePins(const Manifest& manifest, int64_t cutoff_ms);

  MetaWriter* const meta_;
  ObjectStore* const objects_;
  BackupStorage storage_;
  Clock* const clock_;
  std::mutex job_mu_;       // one backup job at a time
  std::mutex manifest_mu_;  // serializes manifest read-modify-write
  std::mutex metrics_mu_;
  BackupMetrics metrics_;
  uint64_t running_id_ = 0;  // guarded by manifest_mu_
  // What the manifest holds beyond its index, as last read and since changed by this
  // service (guarded by manifest_mu_); when Create last purged (job_mu_).
  ManifestLayout layout_;
  bool layout_known_ = false;
  int64_t last_purge_ms_ = 0;
  int64_t last_copy_purge_ms_ = 0;  // copies are purged at most once per kOrphanGraceMs
  CopyProgress copy_progress_;
  std::atomic<bool> copy_running_{false};
  std::string storage_id_;  // backup storage identity, loaded or written at first use
  BackupMetrics phases_;    // this job's phase timings (job_mu_)
};

}  // namespace cairn
