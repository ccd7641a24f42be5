#include "storage/cluster_impl.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/epoch.h"
#include "common/logging.h"
#include "meta/keys.h"
#include "sst/internal_key.h"
#include "storage/commit_budget.h"
#include "storage/merging_iterator.h"
#include "storage/sst_output.h"

namespace cairn {
namespace {

constexpr size_t kObjectIdBatch = 16;
// Backoff of failed background checkpoints and compactions (docs/storage.md).
constexpr int64_t kRetryMinMs = 100;
constexpr int64_t kRetryMaxMs = 10 * 1000;

Status ValidateEntry(const WriteBatch::Entry& e) {
  if (e.key.empty()) return Status::InvalidArgument("empty key");
  if (e.key.size() > kMaxUserKeySize) {
    return Status::InvalidArgument("key of " + std::to_string(e.key.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxUserKeySize));
  }
  if (e.value.size() > kMaxUserValueSize) {
    return Status::InvalidArgument("value of " + std::to_string(e.value.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxUserValueSize));
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Cluster>> Cluster::Open(MetaWriter* meta_writer, ObjectStore* objects,
                                               const ClusterOptions& options) {
  auto cluster = std::make_unique<ClusterImpl>(meta_writer, objects, options);
  CAIRN_RETURN_IF_ERROR(cluster->Init());
  return std::unique_ptr<Cluster>(std::move(cluster));
}

ClusterImpl::ClusterImpl(MetaWriter* meta, ObjectStore* objects, const ClusterOptions& options)
    : meta_(meta),
      objects_(objects),
      options_(options),
      clock_(options.clock ? options.clock : SystemClock::Default()),
      checkpoint_interval_ms_(options.checkpoint_interval_ms),
      pitr_retention_ms_(options.pitr_retention_ms),
      vacuum_min_age_ms_(options.vacuum_min_age_ms),
      sizing_(LevelSizingOptions{options.num_levels, options.level0_compaction_trigger,
                                 options.level0_compaction_bytes, options.max_bytes_for_level_base,
                                 options.level_size_multiplier}),
      block_cache_(options.block_cache_bytes),
      tables_(objects, &block_cache_, options.max_open_tables,
              [this](uint64_t id) { return InCurrentVersion(id); }),
      write_controller_(options.write_stall, clock_),
      checkpoint_backoff_(kRetryMinMs, kRetryMaxMs),
      compaction_backoff_(kRetryMinMs, kRetryMaxMs) {}

ClusterImpl::~ClusterImpl() { (void)Close(); }

Status ClusterImpl::Init() {
  CAIRN_ASSIGN_OR_RETURN(StorageState state, LoadStorageState(meta_->store()));
  CAIRN_ASSIGN_OR_RETURN(auto version, Version::Make(state.header.version_id, state.ssts));
  {
    std::lock_guard lock(mu_);
    SetVersionLocked(std::move(version));
    header_ = state.header;
    header_revision_ = state.header_revision;
    stale_ = std::move(state.stale);
    catalog_ = std::move(state.catalog);
    // A DDL commits the state at its epoch (every older write is checkpointed first).
    committed_epoch_ = std::max(state.header.max_committed_epoch, catalog_.MaxEpoch());
    durable_epoch_ = committed_epoch_;
    // Every epoch in the loaded state is in a changelog record: new ones go above.
    meta_->epochs().Raise(committed_epoch_);
  }
  if (options_.background_threads) {
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    for (int i = 0; i < std::max(1, options_.max_background_compactions); ++i) {
      compaction_threads_.emplace_back([this] { CompactionLoop(); });
    }
  }
  return Status::OK();
}

uint64_t ClusterImpl::CurrentEpochLocked() {
  if (!mem_) mem_ = std::make_unique<Memtable>(meta_->epochs().Reserve());
  return mem_->epoch();
}

uint64_t ClusterImpl::WatermarkEpoch() {
  return WindowStartEpoch(clock_->NowMillis(), pitr_retention_ms_.load());
}

uint64_t ClusterImpl::StaleEpoch(uint64_t record_epoch, uint64_t committed_epoch) {
  return std::max({record_epoch, committed_epoch, EpochFromMillis(clock_->NowMillis())});
}

uint64_t ClusterImpl::committed_epoch() const {
  std::lock_guard lock(mu_);
  return committed_epoch_;
}

Result<uint64_t> ClusterImpl::Write(const WriteBatch& batch, bool wait) {
  for (const auto& e : batch.entries()) CAIRN_RETURN_IF_ERROR(ValidateEntry(e));
  uint64_t epoch = 0;
  {
    std::unique_lock lock(mu_);
    if (closing_) return Status::Aborted("cluster is closed");
    CAIRN_RETURN_IF_ERROR(ThrottleLocked(lock));
    for (const auto& e : batch.entries()) {
      if (!catalog_.Readable(e.table_id, std::nullopt) || dropping_.count(e.table_id)) {
        return Status::NotFound("table id " + std::to_string(e.table_id));
      }
    }
    epoch = CurrentEpochLocked();
    for (const auto& e : batch.entries()) {
      mem_->Add(sst::MakeUserPart(e.table_id, e.key),
                e.is_delete ? sst::ValueKind::kDelete : sst::ValueKind::kPut, e.value);
    }
    // A large memtable is checkpointed early to bound memory.
    if (mem_->approximate_bytes() >= options_.target_sst_bytes * 2 && !flush_requested_) {
      flush_requested_ = true;
      checkpoint_cv_.notify_all();
    }
  }
  if (!wait) return epoch;
  if (!options_.background_threads) {
    CAIRN_RETURN_IF_ERROR(Flush().status());
  }
  std::unique_lock lock(mu_);
  commit_cv_.wait(lock, [&] { return durable_epoch_ >= epoch || closing_; });
  if (durable_epoch_ < epoch) {
    return Status::Aborted("cluster closed before epoch " + std::to_string(epoch) +
                           " was committed");
  }
  return epoch;
}

bool ClusterImpl::L0BackloggedLocked() const {
  return version_->level(0).size() >= write_controller_.options().level0_slowdown_writes_trigger &&
         (!mem_ || mem_->approximate_bytes() < options_.target_sst_bytes);
}

uint64_t ClusterImpl::UnflushedBytesLocked() const {
  uint64_t bytes = mem_ ? mem_->approximate_bytes() : 0;
  for (const auto& m : imm_) bytes += m->approximate_bytes();
  return bytes;
}

Status ClusterImpl::ThrottleLocked(std::unique_lock<std::mutex>& lock) {
  auto update = [&] {
    return write_controller_.Update(version_->level(0).size(), UnflushedBytesLocked());
  };
  WriteStall stall = update();
  const WriteStallOptions& o = write_controller_.options();
  if (stall == WriteStall::kSlowdown) {
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(o.slowdown_delay_us));
    lock.lock();
    return closing_ ? Status::Aborted("cluster is closed") : Status::OK();
  }
  if (stall != WriteStall::kStop) return Status::OK();
  // Stopped: ask for the work that drains the backlog and wait for it, bounded. A
  // checkpoint drains memtable bytes but adds an L0 SST, so it is asked for only when
  // the memtables are the backlog.
  compaction_requested_ = true;
  if (UnflushedBytesLocked() >= o.unflushed_stop_bytes) flush_requested_ = true;
  checkpoint_cv_.notify_all();
  compaction_cv_.notify_all();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.stop_timeout_ms);
  while (stall == WriteStall::kStop && !closing_ &&
         commit_cv_.wait_until(lock, deadline) != std::cv_status::timeout) {
    stall = update();
  }
  if (closing_) return Status::Aborted("cluster is closed");
  if (stall == WriteStall::kStop) stall = update();
  if (stall != WriteStall::kStop) return Status::OK();
  stats_.writes_refused++;
  return Status::Busy("writes stopped: " + write_controller_.reason() + " for " +
                      std::to_string(o.stop_timeout_ms) + " ms; retry later");
}

Result<uint64_t> ClusterImpl::AllocateObjectId() {
  // A server that lost its writer lease uploads nothing, not even from ids it allocated
  // while it held it: a restored or new writer may own those ids now.
  if (Status fence = meta_->CheckFence(); !fence.ok()) {
    std::lock_guard lock(mu_);
    id_pool_.clear();
    return fence;
  }
  {
    std::lock_guard lock(mu_);
    if (!id_pool_.empty()) {
      uint64_t id = id_pool_.back();
      id_pool_.pop_back();
      in_flight_.insert(id);
      return id;
    }
  }
  CAIRN_ASSIGN_OR_RETURN(uint64_t first, meta_->AllocateIds("object", kObjectIdBatch));
  std::lock_guard lock(mu_);
  for (uint64_t i = kObjectIdBatch - 1; i >= 1; --i) id_pool_.push_back(first + i);
  in_flight_.insert(first);
  return first;
}

Result<uint64_t> ClusterImpl::Flush() {
  std::lock_guard checkpoint(checkpoint_mu_);
  {
    std::lock_guard lock(mu_);
    SealLocked();
  }
  CAIRN_RETURN_IF_ERROR(CheckpointSealed());
  std::lock_guard lock(mu_);
  return committed_epoch_;
}

void ClusterImpl::SealLocked() {
  if (mem_) imm_.push_back(std::move(mem_));
}

Status ClusterImpl::CheckpointSealed() {
  std::vector<std::shared_ptr<Memtable>> imms;
  {
    std::lock_guard lock(mu_);
    imms = imm_;
  }
  for (const auto& mem : imms) CAIRN_RETURN_IF_ERROR(CheckpointOne(mem));
  return Status::OK();
}

Status ClusterImpl::CheckpointOne(const std::shared_ptr<Memtable>& mem) {
  auto start = std::chrono::steady_clock::now();
  auto input = mem->NewIterator();
  input->SeekToFirst();
  std::vector<uint64_t> allocated;
  SstOutputOptions out = NewSstOutput(/*level=*/0, &allocated);
  auto files = WriteSsts(input.get(), out);
  VersionEdit edit;
  Status s = files.status();
  if (files.ok()) {
    edit.added = std::move(files).value();
    s = CommitEdit(edit, mem->epoch());
  }
  std::lock_guard lock(mu_);
  if (!files.ok()) {
    for (uint64_t id : allocated) in_flight_.erase(id);
  }
  if (!s.ok()) {
    // The sealed memtable stays and the next checkpoint retries it. If the commit did
    // apply after all (lost ack, reload failed), the retry writes the same versions
    // again, which readers and compaction treat as duplicates.
    checkpoint_failures_.Failed(s.WithContext("epoch " + std::to_string(mem->epoch())));
    checkpoint_backoff_.Failed();
    return s;
  }
  checkpoint_failures_.Succeeded();
  checkpoint_backoff_.Succeeded();
  std::erase(imm_, mem);
  meta_->epochs().Release(mem->epoch());
  durable_epoch_ = std::max(durable_epoch_, mem->epoch());
  commit_cv_.notify_all();
  stats_.checkpoints++;
  stats_.last_checkpoint_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  compaction_requested_ = true;
  compaction_cv_.notify_all();
  return Status::OK();
}

Status ClusterImpl::CommitEdit(const VersionEdit& edit, uint64_t new_committed_epoch) {
  std::lock_guard version_lock(version_mu_);
  VersionHeader header;
  int64_t revision = 0;
  std::shared_ptr<const Version> base;
  {
    std::lock_guard lock(mu_);
    header = header_;
    revision = header_revision_;
    base = version_;
  }
  for (uint64_t id : edit.removed) {
    if (!base->Contains(id)) {
      return Status::Conflict("SST " + SstObjectKey(id) + " left the version concurrently");
    }
  }
  for (const SstMeta& f : edit.moved) {
    SstRef now = base->Find(f.object_id);
    if (!now || now->level != f.level - 1) {
      return Status::Conflict("SST " + SstObjectKey(f.object_id) +
                              " changed level or left the version concurrently");
    }
  }
  CommitBudget budget(meta_->store()->BulkTxnLimits());
  if (CommitCost cost = CommitBudget::Cost(edit); !budget.Fits(cost)) {
    // Refused before anything is committed or deleted: the new SSTs are orphans.
    std::lock_guard lock(mu_);
    for (const auto& f : edit.added) in_flight_.erase(f.object_id);
    return Status::FailedPrecondition(
        "version delta of " + std::to_string(edit.added.size()) + " added and " +
        std::to_string(edit.removed.size()) + " removed SSTs (" + std::to_string(cost.ops) +
        " ops, ~" + std::to_string(cost.bytes) + " bytes) exceeds one meta-store commit (" +
        std::to_string(budget.limits().max_ops) + " ops, " +
        std::to_string(budget.limits().max_bytes) + " bytes)");
  }
  VersionHeader next{header.version_id + 1,
                     std::max(header.max_committed_epoch, new_committed_epoch)};
  Txn txn;
  txn.compares.push_back(Compare::RevisionEquals(std::string(keys::kStorageVersion), revision));
  for (const auto& f : edit.added)
    txn.ops.push_back(Op::Put(keys::SstKey(f.object_id), EncodeSstMeta(f)));
  // A moved SST keeps its object and key; only its level changes.
  for (const auto& f : edit.moved)
    txn.ops.push_back(Op::Put(keys::SstKey(f.object_id), EncodeSstMeta(f)));
  for (uint64_t id : edit.removed) txn.ops.push_back(Op::Delete(keys::SstKey(id)));
  txn.ops.push_back(Op::Put(std::string(keys::kStorageVersion), EncodeVersionHeader(next)));
  // A restore to an epoch before this commit's does not replay it and still needs the
  // removed SSTs: their stale epoch is never below the commit's changelog epoch.
  uint64_t stale_epoch = 0;
  auto add_stale = [&](uint64_t epoch, Txn* t) {
    stale_epoch = StaleEpoch(epoch, next.max_committed_epoch);
    for (uint64_t id : edit.removed)
      t->ops.push_back(Op::Put(keys::StaleKey(id), std::to_string(stale_epoch)));
  };
  auto committed = meta_->Commit(std::move(txn), new_committed_epoch, add_stale);
  if (!committed.ok()) {
    // Maybe a lost ack: the meta store is the truth, reload and look.
    Status reload = ReloadStorageLocked();
    std::lock_guard lock(mu_);
    // Outcome unknown (the reload failed too): the new SSTs stay in flight, so that no
    // full vacuum takes them for orphans, until a restart reads the truth.
    if (!reload.ok()) return committed.status();
    for (const auto& f : edit.added) in_flight_.erase(f.object_id);
    bool applied =
        header_.version_id >= next.version_id && committed_epoch_ >= next.max_committed_epoch;
    for (const auto& f : edit.added) applied = applied && version_->Contains(f.object_id);
    for (uint64_t id : edit.removed) applied = applied && !version_->Contains(id);
    for (const auto& f : edit.moved) {
      SstRef now = version_->Find(f.object_id);
      applied = applied && now && now->level == f.level;
    }
    if (!applied) return committed.status();
    return Status::OK();
  }
  CAIRN_ASSIGN_OR_RETURN(auto version, base->Apply(next.version_id, edit));
  {
    std::lock_guard lock(mu_);
    SetVersionLocked(version);
    header_ = next;
    header_revision_ = committed->revision;
    committed_epoch_ = std::max(committed_epoch_, next.max_committed_epoch);
    for (const auto& f : edit.added) in_flight_.erase(f.object_id);
    for (uint64_t id : edit.removed) stale_[id] = stale_epoch;
  }
  InstallVersion(version, edit);
  return Status::OK();
}

void ClusterImpl::InstallVersion(std::shared_ptr<const Version>, const VersionEdit& edit) {
  tables_.Erase(edit.removed);  // after version_ moved on: nothing re-caches them
  commit_cv_.notify_all();
}

void ClusterImpl::SetVersionLocked(std::shared_ptr<const Version> v) {
  std::erase_if(live_versions_, [](const auto& w) { return w.expired(); });
  live_versions_.push_back(v);
  version_ = std::move(v);
}

std::vector<std::shared_ptr<const Version>> ClusterImpl::VersionsInUseLocked() {
  std::vector<std::shared_ptr<const Version>> versions;
  for (const auto& w : live_versions_) {
    if (auto v = w.lock()) versions.push_back(std::move(v));
  }
  return versions;
}

bool ClusterImpl::InAny(const std::vector<std::shared_ptr<const Version>>& versions, uint64_t id) {
  for (const auto& v : versions) {
    if (v->Contains(id)) return true;
  }
  return false;
}

SstOutputOptions ClusterImpl::NewSstOutput(int level, std::vector<uint64_t>* allocated) {
  SstOutputOptions out;
  out.objects = objects_;
  out.allocate_id = [this, allocated]() -> Result<uint64_t> {
    auto id = AllocateObjectId();
    if (id.ok()) allocated->push_back(*id);
    return id;
  };
  out.target_bytes = options_.target_sst_bytes;
  out.level = level;
  return out;
}

Status ClusterImpl::ReloadStorageLocked() {
  CAIRN_ASSIGN_OR_RETURN(StorageState state, LoadStorageState(meta_->store()));
  CAIRN_ASSIGN_OR_RETURN(auto version, Version::Make(state.header.version_id, state.ssts));
  std::unique_lock lock(mu_);
  SetVersionLocked(std::move(version));
  header_ = state.header;
  header_revision_ = state.header_revision;
  committed_epoch_ = std::max(committed_epoch_, state.header.max_committed_epoch);
  // Only another writer can have moved the epoch past ours; stay above it.
  meta_->epochs().Raise(committed_epoch_);
  stale_ = std::move(state.stale);
  commit_cv_.notify_all();
  lock.unlock();
  tables_.EraseNotLive();  // SSTs another writer's commit removed
  return Status::OK();
}

void ClusterImpl::CheckpointLoop() {
  std::unique_lock lock(mu_);
  while (!closing_) {
    checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(checkpoint_interval_ms_.load()),
                            [&] { return closing_ || flush_requested_; });
    if (closing_) break;
    if (!flush_requested_ && L0BackloggedLocked()) continue;
    flush_requested_ = false;
    lock.unlock();
    bool failed = !Flush().ok();  // failures are counted and logged
    lock.lock();
    if (failed) {
      // Back off (requests for an early checkpoint wait too), then retry.
      auto delay = std::chrono::milliseconds(checkpoint_backoff_.delay_ms());
      checkpoint_cv_.wait_for(lock, delay, [&] { return closing_; });
      flush_requested_ = true;
    }
  }
}

void ClusterImpl::CompactionLoop() {
  std::unique_lock lock(mu_);
  while (!closing_) {
    compaction_cv_.wait(lock, [&] { return closing_ || compaction_requested_; });
    if (closing_) break;
    compaction_requested_ = false;
    lock.unlock();
    bool did_work = true;
    while (did_work) {
      Status s = CompactOnce(/*rewritten=*/nullptr, &did_work);
      // Only a committed compaction ends a failure streak: with several threads, one
      // that finds nothing to do says nothing about another one's failing compaction.
      if (!s.ok()) {
        compaction_failures_.Failed(s);  // logs at most once a minute
      } else if (did_work) {
        compaction_failures_.Succeeded();
      }
      std::unique_lock check(mu_);
      if (closing_) break;
      if (s.ok()) {
        if (did_work) compaction_backoff_.Succeeded();
        continue;
      }
      auto delay = std::chrono::milliseconds(compaction_backoff_.Failed());
      compaction_cv_.wait_for(check, delay, [&] { return closing_; });
      did_work = !closing_;
    }
    lock.lock();
  }
}

ClusterStats ClusterImpl::Stats() {
  size_t open_tables = tables_.size();  // before mu_: the cache locks mu_ inside its own lock
  size_t running = 0;
  {
    std::lock_guard reserve(reservations_mu_);
    running = reservations_.running();
  }
  std::lock_guard lock(mu_);
  ClusterStats stats = stats_;
  stats.open_tables = open_tables;
  stats.compactions_running = running;
  stats.version_id = header_.version_id;
  stats.committed_epoch = committed_epoch_;
  EpochClockStats clock = meta_->epochs().stats();
  stats.clock_behind_ms = clock.clock_behind_ms;
  stats.clock_steps = clock.clock_steps;
  stats.checkpoint_failures = checkpoint_failures_.state();
  stats.compaction_failures = compaction_failures_.state();
  stats.write_stall = static_cast<int>(write_controller_.state());
  stats.write_slowdowns = write_controller_.slowdowns();
  stats.write_stops = write_controller_.stops();
  stats.unflushed_bytes = UnflushedBytesLocked();
  stats.levels.clear();
  for (int i = 0; i < std::max(sizing_.num_levels(), version_->DeepestLevel() + 1); ++i) {
    stats.levels.push_back(LevelStats{i, version_->level(i).size(), version_->LevelBytes(i)});
  }
  return stats;
}

Status ClusterImpl::Close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  checkpoint_cv_.notify_all();
  compaction_cv_.notify_all();
  commit_cv_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  for (std::thread& t : compaction_threads_) {
    if (t.joinable()) t.join();
  }
  // Uncommitted writes die with the process; their epochs no longer bound the stamps
  // of the MetaWriter's later commits.
  std::lock_guard lock(mu_);
  if (mem_) meta_->epochs().Release(mem_->epoch());
  for (const auto& m : imm_) meta_->epochs().Release(m->epoch());
  return Status::OK();
}

}  // namespace cairn
