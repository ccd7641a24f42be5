// Cluster: the public C++ API of the storage engine (design.md §3). The server and
// tests use only this header. An LSM tree whose SSTs live in an ObjectStore and whose
// versions, catalog and ids live in the MetaStore (written through MetaWriter, so every
// change lands in the changelog). No local state: Open() recovers purely from the
// meta store.
//
// THIS HEADER IS THE CONTRACT between the engine and the server. The engine engineer
// implements it; changes must stay source-compatible or be coordinated.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/failure_log.h"
#include "common/result.h"
#include "meta/backup_pins.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/write_controller.h"

namespace cairn {

// Documented limits (docs/storage.md); larger keys/values are InvalidArgument.
inline constexpr size_t kMaxUserKeySize = 4 * 1024;
inline constexpr size_t kMaxUserValueSize = 4 * 1024 * 1024;

// Points inside Vacuum where tests interleave other work (ClusterOptions::vacuum_hook).
enum class VacuumStep { kTakingCandidates };

struct ClusterOptions {
  Clock* clock = nullptr;                       // nullptr = SystemClock::Default()
  int64_t checkpoint_interval_ms = 1000;        // system param checkpoint_interval
  int64_t pitr_retention_ms = 0;                // system param pitr_retention
  int64_t vacuum_min_age_ms = 6 * 3600 * 1000;  // system param vacuum_min_age
  size_t block_cache_bytes = 64 << 20;
  // Open TableReaders kept (index + filter of each SST in memory), least recently used
  // dropped first; 0 = none kept.
  size_t max_open_tables = 10'000;
  size_t target_sst_bytes = 32 << 20;
  // Leveled compaction (docs/storage.md, "Levels"): L0..L<num_levels-1>; L0 is compacted
  // at `level0_compaction_trigger` SSTs or `level0_compaction_bytes` bytes (0: twice the
  // L1 target), L1 past `max_bytes_for_level_base` bytes, and each deeper level past
  // `level_size_multiplier` times the one above.
  int num_levels = 7;
  size_t level0_compaction_trigger = 24;
  uint64_t level0_compaction_bytes = 0;
  uint64_t max_bytes_for_level_base = 256ull << 20;
  double level_size_multiplier = 10;
  // Compaction threads (docs/storage.md, "Concurrent compactions"): compactions of
  // disjoint key ranges run concurrently, at most one out of L0; values < 1 mean 1.
  int max_background_compactions = 2;
  // Write backpressure (docs/storage.md, "Backpressure").
  WriteStallOptions write_stall;
  // Start the checkpoint and compaction threads. Tests that drive everything by hand
  // (Flush/Compact) set this to false for determinism.
  bool background_threads = true;
  // Tests only: called at each VacuumStep (to interleave a backup or a compaction).
  std::function<void(VacuumStep)> vacuum_hook;
  // Clones (docs/clones.md). is_external_object(id): the object is another cluster's,
  // read in place; vacuum drops its references (when the gate allows) but never deletes
  // it, and full vacuum never lists it as an orphan. external_pins: more pins for the
  // deletion gate, reloaded every pass (the registrations of this cluster's clones).
  std::function<bool(uint64_t)> is_external_object;
  std::function<Result<std::vector<BackupPin>>()> external_pins;
};

// The params a running cluster applies at once (`param set`, docs/server.md "Live
// params"); ClusterOptions holds their values at Open.
struct ClusterTunables {
  int64_t checkpoint_interval_ms = 1000;
  int64_t pitr_retention_ms = 0;
  int64_t vacuum_min_age_ms = 6 * 3600 * 1000;
};

struct TableInfo {
  uint32_t id = 0;
  std::string name;
  uint64_t created_epoch = 0;
  uint64_t dropped_epoch = 0;  // 0 while live
};

class WriteBatch {
 public:
  void Put(uint32_t table_id, std::string_view key, std::string_view value);
  void Delete(uint32_t table_id, std::string_view key);
  size_t size() const { return entries_.size(); }
  void Clear() { entries_.clear(); }

  struct Entry {
    uint32_t table_id;
    std::string key;
    std::string value;
    bool is_delete;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

struct ReadOptions {
  ReadOptions() = default;
  ReadOptions(uint64_t as_of) : as_of_epoch(as_of) {}  // NOLINT: {epoch} reads as of it
  // Read the state as of this epoch (time travel within retention). 0 = latest committed.
  uint64_t as_of_epoch = 0;
  // Scans poll this every kScanCancelCheckEntries internal entries they step over
  // (tombstones and hidden versions included); once it returns true the scan stops with
  // Aborted. Empty = never cancelled. The server passes the gRPC call's cancellation.
  std::function<bool()> cancelled;
};

inline constexpr uint64_t kScanCancelCheckEntries = 1024;

// Iterates user keys of one table in ascending order; values are the newest version
// visible at the read epoch; tombstoned keys are skipped.
// It opens SSTs as it reaches them, so it must not outlive its Cluster.
class ScanIterator {
 public:
  virtual ~ScanIterator() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Non-OK when iteration stopped because of an error (e.g. Corruption).
  virtual Status status() const = 0;
};

struct VacuumOptions {
  bool full = false;     // also list the object store and delete unreferenced objects
  bool dry_run = false;  // count, delete nothing
};

struct VacuumReport {
  uint64_t stale_candidates = 0;  // stale objects considered
  uint64_t deleted = 0;           // objects deleted (or that would be, with dry_run)
  uint64_t deleted_bytes = 0;
  uint64_t kept_by_gate = 0;  // refused by the deletion gate (pins, retention, age)
  uint64_t orphans = 0;       // full vacuum: unreferenced objects found
  // A clone's base objects it no longer references (stale keys dropped, objects kept).
  uint64_t external_released = 0;
};

struct LevelStats {
  int level = 0;
  uint64_t sst_count = 0;
  uint64_t bytes = 0;
};

struct ClusterStats {
  uint64_t version_id = 0;
  uint64_t committed_epoch = 0;
  std::vector<LevelStats> levels;
  uint64_t checkpoints = 0;
  double last_checkpoint_ms = 0;
  uint64_t compactions = 0;
  uint64_t trivial_moves = 0;        // compactions that only changed SSTs' levels
  uint64_t compactions_running = 0;  // now (ClusterOptions::max_background_compactions)
  uint64_t vacuum_deleted = 0;
  uint64_t open_tables = 0;  // TableReaders cached (ClusterOptions::max_open_tables)
  // Backpressure (docs/storage.md): the current stall (0 none, 1 slowdown, 2 stop), how
  // often writes entered slowdown and stop, writes refused after waiting in stop, and
  // the memtable bytes not yet checkpointed.
  int write_stall = 0;
  uint64_t write_slowdowns = 0;
  uint64_t write_stops = 0;
  uint64_t writes_refused = 0;
  uint64_t unflushed_bytes = 0;
  // Wall clock behind the last issued epoch (NTP step back, a restore on a host whose
  // clock is behind): by how many ms (0 = not behind by more than 100 ms), and how many
  // times that was detected. See docs/pitr.md, "Clock steps".
  int64_t clock_behind_ms = 0;
  uint64_t clock_steps = 0;
  // Background work failing now (consecutive > 0) or before (each attempt retried with
  // backoff): /healthz and /metrics.
  FailureState checkpoint_failures;
  FailureState compaction_failures;
};

class Cluster {
 public:
  // `meta_writer` must be Open()ed and outlive the cluster; stores likewise.
  static Result<std::unique_ptr<Cluster>> Open(MetaWriter* meta_writer, ObjectStore* objects,
                                               const ClusterOptions& options);
  virtual ~Cluster() = default;

  // DDL: AlreadyExists / NotFound name the table. A DDL happens at its own epoch: it
  // first checkpoints the writes made before it (so it fails when that checkpoint
  // fails), and the created/dropped epoch is the DDL's time.
  virtual Result<TableInfo> CreateTable(std::string_view name) = 0;
  virtual Status DropTable(std::string_view name) = 0;
  // Live tables; with as_of_epoch, the tables that existed at that epoch.
  virtual Result<std::vector<TableInfo>> ListTables(const ReadOptions& options = {}) = 0;
  virtual Result<TableInfo> GetTable(std::string_view name, const ReadOptions& options = {}) = 0;

  // Applies the batch at the current epoch (the open memtable's, docs/storage.md
  // "Epochs") and returns that epoch. When `wait` is true, returns only after the
  // epoch is committed (durable, acknowledged).
  virtual Result<uint64_t> Write(const WriteBatch& batch, bool wait = true) = 0;
  virtual Result<std::optional<std::string>> Get(uint32_t table_id, std::string_view key,
                                                 const ReadOptions& options = {}) = 0;
  // Keys in [from, to) ("" = unbounded).
  virtual Result<std::unique_ptr<ScanIterator>> Scan(uint32_t table_id, std::string_view from,
                                                     std::string_view to,
                                                     const ReadOptions& options = {}) = 0;

  // Checkpoint now: seal the memtable, upload SSTs, commit. Returns the committed epoch.
  virtual Result<uint64_t> Flush() = 0;
  // A full compaction (tests and `cairn compact`): merges every SST through the MVCC GC
  // into the bottom level, in commits that each fit the meta store's limits. Runs alone:
  // waits for the running compactions, and no other starts until it ends.
  virtual Status Compact() = 0;
  // Runs the compactions the level sizing asks for (what the background threads do)
  // until none is pending that a running compaction does not block (docs/storage.md,
  // "Concurrent compactions"); for tests and benchmarks that drive the engine by hand.
  virtual Status CompactPending() = 0;
  virtual Result<VacuumReport> Vacuum(const VacuumOptions& options) = 0;

  // Applies new tunables to everything after the call: the next checkpoint wait (a
  // changed interval also checkpoints now), compaction's MVCC watermark, vacuum's
  // gate. A raised pitr_retention cannot bring back history compaction or vacuum
  // already dropped: as-of reads stay refused before the old window's start until the
  // new window has moved past it.
  virtual void SetTunables(const ClusterTunables& tunables) = 0;

  virtual uint64_t committed_epoch() const = 0;
  // The oldest epoch an as-of read is served at: older ones are refused
  // (InvalidArgument), having left the pitr_retention window. The server serves those
  // from a backup (docs/pitr.md, "Reads served from backups").
  virtual uint64_t oldest_as_of_epoch() = 0;
  virtual ClusterStats Stats() = 0;

  // Stops background threads after the in-flight checkpoint; flushes nothing new.
  virtual Status Close() = 0;
};

}  // namespace cairn
