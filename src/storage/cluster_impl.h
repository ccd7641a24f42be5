// ClusterImpl: the engine behind Cluster (docs/storage.md). One mutex (mu_) guards the
// in-memory state; object-store and meta-store I/O happens outside it, serialised per
// activity by checkpoint_mu_, vacuum_mu_ and ddl_mu_, while version_mu_ serialises the
// commits that change the version. Compactions run on max_background_compactions
// threads, kept disjoint by reservations_ (reservations_mu_, taken before mu_); a full
// compaction runs alone.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "sst/block_cache.h"
#include "sst/table_reader.h"
#include "storage/catalog.h"
#include "storage/cluster.h"
#include "storage/compaction_picker.h"
#include "storage/compaction_reservations.h"
#include "storage/level_sizing.h"
#include "storage/memtable.h"
#include "storage/meta_loader.h"
#include "storage/retry_backoff.h"
#include "storage/sst_output.h"
#include "storage/table_cache.h"
#include "storage/version.h"
#include "storage/write_controller.h"

namespace cairn {

class ClusterImpl final : public Cluster {
 public:
  ClusterImpl(MetaWriter* meta, ObjectStore* objects, const ClusterOptions& options);
  ~ClusterImpl() override;

  // Loads the state from the meta store and starts the background threads.
  Status Init();

  Result<TableInfo> CreateTable(std::string_view name) override;
  Status DropTable(std::string_view name) override;
  Result<std::vector<TableInfo>> ListTables(const ReadOptions& options) override;
  Result<TableInfo> GetTable(std::string_view name, const ReadOptions& options) override;

  Result<uint64_t> Write(const WriteBatch& batch, bool wait) override;
  Result<std::optional<std::string>> Get(uint32_t table_id, std::string_view key,
                                         const ReadOptions& options) override;
  Result<std::unique_ptr<ScanIterator>> Scan(uint32_t table_id, std::string_view from,
                                             std::string_view to,
                                             const ReadOptions& options) override;

  Result<uint64_t> Flush() override;
  Status Compact() override;
  Status CompactPending() override;
  Result<VacuumReport> Vacuum(const VacuumOptions& options) override;

  void SetTunables(const ClusterTunables& tunables) override;  // cluster_tunables.cc

  uint64_t committed_epoch() const override;
  uint64_t oldest_as_of_epoch() override;  // cluster_tunables.cc
  ClusterStats Stats() override;
  Status Close() override;

 private:
  // --- epochs (docs/storage.md, "Epochs"; reservations from meta_->epochs()) ---
  // The epoch of the open memtable; opens one at a fresh reserved epoch if there is
  // none (mu_ held).
  uint64_t CurrentEpochLocked();
  // The oldest epoch reads must stay exact for: now - pitr_retention, saturating.
  uint64_t WatermarkEpoch();
  // The oldest epoch as-of reads are exact for: WatermarkEpoch, or later while a
  // raised pitr_retention's window still reaches before the old one's start.
  uint64_t ReadableEpoch();
  // The stale epoch of SSTs removed by a commit at changelog epoch `record_epoch`:
  // max(record epoch, committed epoch, epoch of now), so a removed SST is kept for the
  // retention window counted from when it left the version.
  uint64_t StaleEpoch(uint64_t record_epoch, uint64_t committed_epoch);

  // --- backpressure (mu_ held) ---
  uint64_t UnflushedBytesLocked() const;
  // L0 is at its slowdown trigger and the open memtable is below target_sst_bytes: the
  // periodic checkpoint waits (each would only add a small L0 SST; explicit flushes and
  // a memtable of 2 x target_sst_bytes still checkpoint).
  bool L0BackloggedLocked() const;
  // Delays the write while slowed down; waits while stopped (asking for a checkpoint
  // and a compaction) and fails with Busy after the stop timeout. May release `lock`.
  Status ThrottleLocked(std::unique_lock<std::mutex>& lock);

  // --- version changes ---
  Result<uint64_t> AllocateObjectId();
  // Output options for one flush or compaction: ids allocated into *allocated (so a
  // failed attempt can forget them), files of target size at `level`.
  SstOutputOptions NewSstOutput(int level, std::vector<uint64_t>* allocated);
  // Commits `edit` (and, when non-zero, a new max committed epoch) in one meta txn
  // guarded by the version header's revision, then installs it. On a failed commit it
  // reloads the state from the meta store, which tells whether the commit applied.
  // `new_committed_epoch` 0 (compaction) stamps the commit's changelog epoch from the
  // clock; a checkpoint passes its memtable's epoch.
  Status CommitEdit(const VersionEdit& edit, uint64_t new_committed_epoch);
  Status ReloadStorageLocked();  // version_mu_ held
  void InstallVersion(std::shared_ptr<const Version> v, const VersionEdit& edit);
  // Sets version_ and remembers it as possibly in use (mu_ held).
  void SetVersionLocked(std::shared_ptr<const Version> v);
  // Every version a reader may still hold (mu_ held); the objects they name are in use.
  std::vector<std::shared_ptr<const Version>> VersionsInUseLocked();
  // What full vacuum must keep: sorted ids plus the versions in use (mu_ not held).
  struct References {
    std::vector<uint64_t> ids;
    std::vector<std::shared_ptr<const Version>> versions;
    bool Contains(uint64_t id) const;
  };
  Result<References> FullVacuumReferences();
  static bool InAny(const std::vector<std::shared_ptr<const Version>>& versions, uint64_t id);
  Status DeleteObjects(const std::vector<uint64_t>& ids);  // vacuum_mu_ held

  // --- reads ---
  struct ReadContext {
    uint64_t epoch = 0;
    std::optional<uint64_t> as_of;
    std::shared_ptr<const Version> version;
  };
  Result<ReadContext> PrepareRead(uint32_t table_id, const ReadOptions& options);
  Result<std::shared_ptr<sst::TableReader>> Reader(const SstMeta& meta);
  bool InCurrentVersion(uint64_t object_id) const;  // mu_ not held
  // `bloom_hash` is sst::BloomHash(user_part), computed once per Get.
  Result<std::optional<std::optional<std::string>>> GetFromSst(const SstMeta& meta,
                                                               std::string_view user_part,
                                                               uint64_t bloom_hash,
                                                               std::string_view seek_key);

  // --- checkpoints (checkpoint_mu_ held) ---
  // Moves the open memtable to the sealed ones (mu_ held).
  void SealLocked();
  // Checkpoints every sealed memtable, oldest first, one meta commit each (so each
  // changelog record holds the writes of exactly one epoch, stamped with it). Stops at
  // the first failure; the rest stay sealed for the next attempt.
  Status CheckpointSealed();
  Status CheckpointOne(const std::shared_ptr<Memtable>& mem);

  // --- compaction and DDL ---
  CompactionPicker Picker() const;
  // One compaction: picked by score among those the running ones admit (reserved until
  // it commits or fails), or, with `rewritten` (a full compaction's SSTs written so
  // far), the next step of a full compaction. *did_work = false when none was pending
  // (or a full compaction runs).
  Status CompactOnce(std::set<uint64_t>* rewritten, bool* did_work);
  Status RunPicked(const Compaction& c, const std::shared_ptr<const Version>& version,
                   const Catalog& catalog, uint64_t committed, std::set<uint64_t>* rewritten);
  void RequestCompaction();  // wakes the compaction threads (mu_ not held)
  // The delta of a trivial move: the inputs at the output level, same objects.
  static VersionEdit TrivialMove(const Compaction& c);
  // Merges the inputs through the MVCC GC into new SSTs; the delta to commit.
  Result<VersionEdit> RunCompaction(const Compaction& c,
                                    const std::shared_ptr<const Version>& version,
                                    const Catalog& catalog, uint64_t committed);
  // Runs one DDL at its own epoch (ddl_mu_ held): seals and checkpoints the writes
  // made before it, reserves a fresh epoch (later writes get newer ones), then commits
  // `txn` plus the table record with that epoch as created (or, with `drop`, dropped)
  // epoch. Writes to a table being dropped are refused from the seal on.
  Status CommitDdl(Txn txn, TableInfo* table, bool drop);
  Status CommitCatalog(Txn txn, uint64_t epoch, TableInfo* table, bool drop);
  Status ReloadCatalog();

  // --- background ---
  void CheckpointLoop();
  void CompactionLoop();

  MetaWriter* const meta_;
  ObjectStore* const objects_;
  const ClusterOptions options_;
  Clock* const clock_;
  // Live tunables (SetTunables); start as options_'s values.
  std::atomic<int64_t> checkpoint_interval_ms_;
  std::atomic<int64_t> pitr_retention_ms_;
  std::atomic<int64_t> vacuum_min_age_ms_;
  // Wall time before which history may be gone although inside the window (a raised
  // retention); 0 = none.
  std::atomic<int64_t> retention_floor_ms_{0};
  const LevelSizing sizing_;
  sst::BlockCache block_cache_;

  std::mutex checkpoint_mu_;
  std::mutex full_compaction_mu_;  // one Compact() at a time
  std::mutex vacuum_mu_;
  std::mutex ddl_mu_;
  std::mutex version_mu_;

  TableCache tables_;  // only SSTs of version_; erased when they leave it

  mutable std::mutex mu_;
  std::condition_variable commit_cv_;      // durable_epoch_ advanced or closing
  std::condition_variable checkpoint_cv_;  // flush requested or closing
  std::condition_variable compaction_cv_;  // a checkpoint added L0 SSTs or closing
  // The newest epoch whose state is complete in the meta store: the version header's
  // max committed epoch, or a later DDL's epoch (reads run at it).
  uint64_t committed_epoch_ = 0;
  // Every write this process made at or below this epoch is committed (what waiting
  // writers wait for; committed_epoch_ can also move by another writer's commit).
  uint64_t durable_epoch_ = 0;
  std::unique_ptr<Memtable> mem_;
  std::vector<std::shared_ptr<Memtable>> imm_;  // sealed, not yet committed; oldest first
  std::shared_ptr<const Version> version_;
  // Every version installed so far that a reader may still hold: vacuum spares their
  // SSTs, so a long scan never loses its objects (expired entries are pruned).
  std::vector<std::weak_ptr<const Version>> live_versions_;
  VersionHeader header_;
  int64_t header_revision_ = 0;
  std::map<uint64_t, uint64_t> stale_;  // object id -> stale epoch
  std::set<uint64_t> in_flight_;        // object ids being written, not yet committed
  std::vector<uint64_t> id_pool_;       // allocated object ids not used yet
  Catalog catalog_;
  std::set<uint32_t> dropping_;  // tables whose drop is in progress: writes refused
  bool flush_requested_ = false;
  bool compaction_requested_ = false;
  bool closing_ = false;
  ClusterStats stats_;
  FailureLog checkpoint_failures_{"checkpoint", clock_};  // logs once a minute
  FailureLog compaction_failures_{"compaction", clock_};
  WriteController write_controller_;
  RetryBackoff checkpoint_backoff_;
  RetryBackoff compaction_backoff_;

  // The running compactions and whether a full compaction runs or waits for them to
  // end (then no other starts); before mu_ in lock order.
  std::mutex reservations_mu_;
  std::condition_variable compactions_idle_cv_;  // a compaction ended
  CompactionReservations reservations_;
  bool full_compaction_ = false;

  std::thread checkpoint_thread_;
  std::vector<std::thread> compaction_threads_;  // max_background_compactions
};

}  // namespace cairn
