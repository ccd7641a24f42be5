#include "backup/backup_service.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>

#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "common/logging.h"
#include "meta/backup_pins.h"
#include "meta/keys.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

constexpr size_t kCutPage = 1000;

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

uint64_t ParseU64(std::string_view text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// When `key` is inside an excluded prefix, the first key after that prefix; else "".
std::string SkipExcluded(std::string_view key) {
  for (std::string_view prefix : keys::kExcludedPrefixes) {
    if (key.starts_with(prefix)) return PrefixEnd(prefix);
  }
  return "";
}

// What the cut learns about the cluster while streaming its keys.
struct CutSummary {
  uint64_t epoch = 0;
  uint64_t version_id = 0;
  uint64_t sst_count = 0;
  uint64_t sst_bytes = 0;
  uint64_t changelog_seq = 0;
  std::string cluster_id;
  uint32_t timeline = 1;
  std::map<std::string, uint64_t> id_generators;
  std::vector<SnapshotSst>* ssts = nullptr;  // --copy-data: every SST of the cut

  Status Observe(std::string_view key, std::string_view value) {
    if (key == keys::kStorageVersion) {
      CAIRN_ASSIGN_OR_RETURN(VersionHeader header, DecodeVersionHeader(value));
      epoch = header.max_committed_epoch;
      version_id = header.version_id;
    } else if (key.starts_with(keys::kStorageSstPrefix)) {
      CAIRN_ASSIGN_OR_RETURN(SstMeta sst, DecodeSstMeta(value));
      ++sst_count;
      sst_bytes += sst.file_size;
      uint64_t id = 0;
      if (ssts && ParseHexId(key.substr(keys::kStorageSstPrefix.size()), &id)) {
        ssts->push_back({id, sst.file_size});
      }
    } else if (key.starts_with(keys::kIdPrefix)) {
      id_generators[std::string(key.substr(keys::kIdPrefix.size()))] = ParseU64(value);
    } else if (key == keys::kClusterId) {
      cluster_id = std::string(value);
    } else if (key == keys::kChangelogSeq) {
      changelog_seq = ParseU64(value);
    } else if (key == keys::kClusterTimeline) {
      timeline = static_cast<uint32_t>(ParseU64(value));
    }
    return Status::OK();
  }
};

// Streams every non-excluded key of one meta snapshot into `out`. Excluded prefixes
// are jumped over, not read.
Status StreamCut(MetaSnapshot* snapshot, SnapshotWriter* out, CutSummary* summary) {
  std::string begin(1, '\0');
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(auto page, snapshot->Range(begin, "", kCutPage));
    std::string skip;
    for (const auto& kv : page) {
      skip = SkipExcluded(kv.key);
      if (!skip.empty()) break;
      CAIRN_RETURN_IF_ERROR(summary->Observe(kv.key, kv.value));
      CAIRN_RETURN_IF_ERROR(out->Add(kv.key, kv.value));
    }
    if (!skip.empty()) {
      begin = skip;
    } else if (page.size() < kCutPage) {
      return Status::OK();
    } else {
      begin = page.back().key + '\0';
    }
  }
}

}  // namespace

BackupService::BackupService(MetaWriter* meta, ObjectStore* objects, ObjectStore* backups,
                             Clock* clock)
    : meta_(meta), objects_(objects), storage_(backups), clock_(clock) {}

Result<SnapshotEntry> BackupService::Create(const std::string& remarks,
                                            const BackupCreateOptions& options) {
  std::unique_lock job(job_mu_, std::try_to_lock);
  if (!job.owns_lock()) return Status::Busy("backup already running; try again when it ends");
  auto started = std::chrono::steady_clock::now();
  if (storage_id_.empty()) {
    // The storage's identity is written at its first use; pins record it.
    auto id =
        storage_.EnsureStorageId(storage_.NewStorageId(clock_->NowMillis()), clock_->NowMillis());
    if (!id.ok()) return id.status().WithContext("backup storage identity");
    storage_id_ = *id;
  }
  phases_ = BackupMetrics{};
  auto phase = std::chrono::steady_clock::now();
  // Orphans are purged once they are older than the grace period (an hour), so a purge
  // per kPurgeIntervalMs is enough: back-to-back backups skip its reads (the manifest,
  // two listings, every pin). A lost manifest.json is still noticed at once: without it
  // the purge runs, and refuses.
  const int64_t now = clock_->NowMillis();
  bool purge = !layout_known_ || now - last_purge_ms_ >= kPurgeIntervalMs || now < last_purge_ms_;
  if (!purge) purge = !storage_.store()->Head(BackupStorage::kManifestKey).ok();
  Result<PurgeReport> purged = PurgeReport{};
  if (purge) {
    ManifestLayout layout;
    // Copies are purged by copying jobs only, at most once per grace period: it reads
    // every copy list.
    bool copies = options.copy_data &&
                  (now - last_copy_purge_ms_ >= kOrphanGraceMs || now < last_copy_purge_ms_);
    purged = Purge(kOrphanGraceMs, &layout, copies);
    if (purged.ok() && copies) last_copy_purge_ms_ = now;
    std::lock_guard lock(manifest_mu_);
    layout_known_ = purged.ok();
    if (purged.ok()) {
      layout_ = layout;
      last_purge_ms_ = now;
    }
  }
  phases_.last_purge_ms = MsSince(phase);
  // A storage that lost its manifest must not get a new one listing only this backup.
  if (purged.status().code() == ErrorCode::kFailedPrecondition) return purged.status();
  if (!purged.ok())
    CAIRN_LOG_WARN("backup: purging orphans failed: {}", purged.status().ToString());
  auto entry = [&]() -> Result<SnapshotEntry> {
    if (purged.ok()) {
      std::lock_guard lock(manifest_mu_);
      if (layout_.index_version == 0) {
        // No manifest.json and no snapshot files: a new storage gets its (empty)
        // manifest before its first snapshot file, so a failed first backup leaves a
        // file the next purge removes, not a file without a manifest (which blocks
        // every backup).
        CAIRN_RETURN_IF_ERROR(storage_.StartManifest(Manifest{}));
        layout_ = ManifestLayout{kManifestFormatVersion, 0, 0, layout_.max_id};
      }
    }
    for (int attempt = 1;; ++attempt) {
      uint64_t id = 0;
      // Publish reads the manifest again when the purge failed.
      auto created = CreateLocked(remarks, purged.ok(), options, &id);
      // Aborted: the cut's revision went away under it (etcd compacted its history);
      // a fresh cut at a newer revision succeeds.
      if (created.ok() || created.status().code() != ErrorCode::kAborted || attempt == 3) {
        return created;
      }
      CAIRN_LOG_WARN("backup {}: {}; retrying with a new cut", id, created.status().ToString());
    }
  }();
  std::lock_guard lock(metrics_mu_);
  metrics_.last_duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (entry.ok()) {
    metrics_.last_purge_ms = phases_.last_purge_ms;
    metrics_.last_pin_ms = phases_.last_pin_ms;
    metrics_.last_cut_ms = phases_.last_cut_ms;
    metrics_.last_narrow_ms = phases_.last_narrow_ms;
    metrics_.last_publish_ms = phases_.last_publish_ms;
    ++metrics_.jobs_succeeded;
    metrics_.last_snapshot_bytes = entry->file_size;
    metrics_.last_sst_count = entry->sst_count;
    if (entry->self_contained()) {
      metrics_.last_copy_added_bytes = entry->copy.added_bytes;
      metrics_.last_copy_added_ssts = entry->copy.added_ssts;
      metrics_.last_copy_ms = phases_.last_copy_ms;
    }
  } else {
    ++metrics_.jobs_failed;
  }
  return entry;
}

namespace {

Result<uint64_t> ParseIdGenerator(const std::optional<KeyValue>& kv) {
  if (!kv) return uint64_t{1};  // an absent generator starts at 1
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(kv->value.data(), kv->value.data() + kv->value.size(), id);
  if (ec != std::errc() || end != kv->value.data() + kv->value.size() || id == 0) {
    return Status::Corruption("malformed id generator " + kv->key + " = '" + kv->value + "'");
  }
  return id;
}

// `kv` still holds what it held when read (absent: still absent).
Compare Unchanged(const std::string& key, const std::optional<KeyValue>& kv) {
  return kv ? Compare::ValueEquals(key, kv->value) : Compare::Absent(key);
}

}  // namespace

Status BackupService::CommitPin(uint64_t id, const std::optional<KeyValue>& id_kv, uint64_t epoch,
                                uint64_t max_object_id, std::vector<Compare> compares) {
  {
    std::lock_guard lock(manifest_mu_);
    running_id_ = id;  // before the pin exists: a purge never takes it for an orphan
  }
  const std::string key = keys::IdKey("backup");
  Txn txn;
  txn.compares = std::move(compares);
  txn.compares.push_back(Unchanged(key, id_kv));
  txn.ops.push_back(Op::Put(key, std::to_string(id + 1)));
  txn.ops.push_back(
      Op::Put(PinKey(id), EncodePin({id, epoch, max_object_id, storage_id_, clock_->NowMillis()})));
  auto committed = meta_->Commit(std::move(txn));
  if (committed.ok()) return Status::OK();
  if (!committed.status().IsConflict()) {
    // The commit may have landed with its acknowledgement lost: remove the pin.
    RemovePinOrLeaveItToPurge(id);
  }
  std::lock_guard lock(manifest_mu_);
  running_id_ = 0;
  return committed.status();
}

uint64_t BackupService::IdFloor() {
  std::lock_guard lock(manifest_mu_);
  return layout_known_ ? layout_.max_id + 1 : 1;
}

Result<BackupService::PinnedCut> BackupService::PinAtCut() {
  // Fast path, one commit: take the cut, then commit the backup id and the exact pin
  // (E, M) of the cut on condition that the version is still what the cut saw. Then no
  // SST of the cut left the version between the cut and the pin (none was stale, so
  // none can have been vacuumed), and from the pin on every SST of the cut (id < M,
  // leaving the version at an epoch >= E) is protected. Objects allocated after the cut
  // (ids >= M) are not in it and need no protection.
  const std::string backup_key = keys::IdKey("backup"), object_key = keys::IdKey("object");
  for (int attempt = 0; attempt < kPinAtCutAttempts; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(auto snapshot, meta_->store()->Snapshot());
    CAIRN_ASSIGN_OR_RETURN(auto version, snapshot->Get(keys::kStorageVersion));
    CAIRN_ASSIGN_OR_RETURN(auto objects, snapshot->Get(object_key));
    CAIRN_ASSIGN_OR_RETURN(auto backups, snapshot->Get(backup_key));
    CAIRN_ASSIGN_OR_RETURN(uint64_t id, ParseIdGenerator(backups));
    id = std::max(id, IdFloor());
    PinnedCut cut;
    if (version) {
      CAIRN_ASSIGN_OR_RETURN(VersionHeader header, DecodeVersionHeader(version->value));
      cut.epoch = header.max_committed_epoch;
    }
    cut.max_object_id = objects ? ParseU64(objects->value) : 0;
    Status pinned = CommitPin(id, backups, cut.epoch, std::max<uint64_t>(cut.max_object_id, 1),
                              {Unchanged(std::string(keys::kStorageVersion), version)});
    if (pinned.ok()) {
      cut.id = id;
      cut.snapshot = std::move(snapshot);
      cut.exact = true;
      return cut;
    }
    if (!pinned.IsConflict()) return pinned;
  }
  // A busy cluster changed its version between every cut and its pin: pin first, with
  // (E_pin, infinity), so compaction between pin and cut cannot lose an SST of the cut;
  // the pin is narrowed after the cut (two commits).
  CAIRN_ASSIGN_OR_RETURN(auto version, meta_->store()->Get(keys::kStorageVersion));
  uint64_t pin_epoch = 0;
  if (version) {
    CAIRN_ASSIGN_OR_RETURN(VersionHeader header, DecodeVersionHeader(version->value));
    pin_epoch = header.max_committed_epoch;
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(auto backups, meta_->store()->Get(backup_key));
    CAIRN_ASSIGN_OR_RETURN(uint64_t id, ParseIdGenerator(backups));
    id = std::max(id, IdFloor());
    Status pinned = CommitPin(id, backups, pin_epoch, kPinInProgress, {});
    if (pinned.ok()) {
      PinnedCut cut;
      cut.id = id;
      auto snapshot = meta_->store()->Snapshot();
      if (!snapshot.ok()) {
        (void)RemovePin(id);
        std::lock_guard lock(manifest_mu_);
        running_id_ = 0;
        return snapshot.status();
      }
      cut.snapshot = std::move(*snapshot);
      return cut;
    }
    if (!pinned.IsConflict()) return pinned;
  }
  return Status::Conflict("id generator " + backup_key + ": too many concurrent allocations");
}

Result<SnapshotEntry> BackupService::CreateLocked(const std::string& remarks, bool layout_known,
                                                  const BackupCreateOptions& options,
                                                  uint64_t* id_out) {
  if (!layout_known) {
    // The purge failed: before pinning anything, make sure the manifest is not lost
    // (Publish checks again; this keeps a refused backup from leaving a pin behind when
    // the pin's commit is acknowledged lost).
    std::lock_guard lock(manifest_mu_);
    ManifestLayout layout;
    auto manifest = LoadManifestForPurge("", &layout);
    if (!manifest.ok()) return manifest.status();
    layout_ = layout;  // for the id floor; the index's presence is checked again later
    layout_known_ = true;
  }
  auto phase = std::chrono::steady_clock::now();
  CAIRN_ASSIGN_OR_RETURN(PinnedCut cut, PinAtCut());
  phases_.last_pin_ms = MsSince(phase);
  const uint64_t id = cut.id;
  *id_out = id;
  std::vector<SnapshotSst> ssts;
  auto entry = Cut(&cut, remarks, options.copy_data ? &ssts : nullptr);
  if (entry.ok() && options.copy_data) {
    // Under the pin: every SST of the cut stays in the object store while it is copied.
    phase = std::chrono::steady_clock::now();
    Status copied = CopyData(&*entry, ssts, options);
    phases_.last_copy_ms = MsSince(phase);
    if (!copied.ok()) entry = copied.WithContext("backup " + std::to_string(id) + ": copy data");
  }
  bool may_be_listed = false;
  if (entry.ok()) {
    phase = std::chrono::steady_clock::now();
    Status published = Publish(*entry, layout_known, &may_be_listed);
    phases_.last_publish_ms = MsSince(phase);
    if (!published.ok()) entry = published;
  }
  if (!entry.ok() && !may_be_listed) {
    // Nothing references this backup: remove what the attempt left behind.
    (void)storage_.store()->Delete(BackupStorage::SnapshotKey(id));
    if (options.copy_data) (void)storage_.store()->Delete(CopyListKey(id));
    RemovePinOrLeaveItToPurge(id);
  }
  std::lock_guard lock(manifest_mu_);
  running_id_ = 0;
  return entry;
}

Result<SnapshotEntry> BackupService::Cut(PinnedCut* cut, const std::string& remarks,
                                         std::vector<SnapshotSst>* ssts) {
  auto phase = std::chrono::steady_clock::now();
  MetaSnapshot* snapshot = cut->snapshot.get();
  const uint64_t id = cut->id;
  SnapshotEntry entry;
  entry.id = id;
  entry.created_ms = clock_->NowMillis();
  entry.meta_revision = snapshot->revision();
  entry.file = BackupStorage::SnapshotKey(id);
  entry.key_id = storage_.store()->EncryptionKeyIdFor(entry.file);
  entry.format_version = kSnapshotFormatVersion;
  entry.remarks = remarks;

  // The header needs the cluster id and changelog seq, known before streaming.
  CAIRN_ASSIGN_OR_RETURN(auto cluster, snapshot->Get(keys::kClusterId));
  CAIRN_ASSIGN_OR_RETURN(auto seq, snapshot->Get(keys::kChangelogSeq));
  CAIRN_ASSIGN_OR_RETURN(auto timeline, snapshot->Get(keys::kClusterTimeline));
  SnapshotHeader header;
  header.timeline = std::max<uint32_t>(timeline ? ParseU64(timeline->value) : 1, 1);
  header.snapshot_id = id;
  header.meta_revision = entry.meta_revision;
  header.changelog_seq = seq ? ParseU64(seq->value) : 0;
  header.created_ms = entry.created_ms;
  header.cluster_id = cluster ? cluster->value : "";

  CAIRN_ASSIGN_OR_RETURN(auto writer, SnapshotWriter::Create(storage_.store(), entry.file, header));
  CutSummary summary;
  summary.ssts = ssts;
  Status streamed = StreamCut(snapshot, writer.get(), &summary);
  if (!streamed.ok()) {
    writer->Abort();
    return streamed;
  }
  CAIRN_ASSIGN_OR_RETURN(SnapshotFileInfo info, writer->Finish());
  entry.epoch = summary.epoch;
  entry.version_id = summary.version_id;
  entry.changelog_seq = header.changelog_seq;
  entry.cluster_id = header.cluster_id;
  entry.timeline = header.timeline;  // what the file records (summary.timeline, at least 1)
  entry.sst_count = summary.sst_count;
  entry.sst_bytes = summary.sst_bytes;
  entry.id_generators = summary.id_generators;
  entry.max_object_id = summary.id_generators["object"];
  entry.file_size = info.file_size;
  entry.checksum = info.checksum;
  phases_.last_cut_ms = MsSince(phase);

  if (cut->exact) {
    // The pin was written for this very cut.
    if (cut->epoch != entry.epoch || cut->max_object_id != entry.max_object_id) {
      return Status::Aborted("backup " + std::to_string(id) + ": the cut (epoch " +
                             std::to_string(entry.epoch) + ", max object id " +
                             std::to_string(entry.max_object_id) +
                             ") is not the one pinned (epoch " + std::to_string(cut->epoch) +
                             ", max object id " + std::to_string(cut->max_object_id) + ")");
    }
    return entry;
  }
  phase = std::chrono::steady_clock::now();
  // Narrow the pin to exactly what the cut can reference.
  CAIRN_RETURN_IF_ERROR(SetPin(id, entry.epoch, std::max<uint64_t>(entry.max_object_id, 1)));
  phases_.last_narrow_ms = MsSince(phase);
  return entry;
}

Status BackupService::CopyData(SnapshotEntry* entry, const std::vector<SnapshotSst>& ssts,
                               const BackupCreateOptions& options) {
  // The newest self-contained backup's list: what is in backup storage already.
  Result<Manifest> manifest = Manifest{};
  {
    std::lock_guard lock(manifest_mu_);
    manifest = storage_.LoadManifestOrEmpty();
  }
  if (!manifest.ok()) return manifest.status();
  std::vector<SstCopy> known;
  for (auto it = manifest->snapshots.rbegin(); it != manifest->snapshots.rend(); ++it) {
    if (!it->self_contained()) continue;
    auto list = ReadCopyList(storage_.store(), it->copy.list);
    if (list.ok()) {
      known = std::move(*list);
    } else {
      // Its copies are then hashed (and adopted) instead of trusted.
      CAIRN_LOG_WARN("backup {}: {}", entry->id, list.status().ToString());
    }
    break;
  }
  CopyStats stats;
  copy_running_ = true;
  auto copies = CopySstsToBackup(objects_, storage_.store(), ssts, known,
                                 {options.copy_threads, &copy_progress_}, &stats);
  copy_running_ = false;
  {
    std::lock_guard lock(metrics_mu_);
    metrics_.copied_bytes += stats.copied_bytes;
    metrics_.copied_ssts += stats.copied_ssts;
  }
  if (!copies.ok()) return copies.status();
  CAIRN_ASSIGN_OR_RETURN(CopyListInfo list,
                         WriteCopyList(storage_.store(), CopyListKey(entry->id), *copies));
  entry->copy.list = list;
  entry->copy.bytes = 0;
  for (const SstCopy& c : *copies) entry->copy.bytes += c.size;
  entry->copy.added_ssts = stats.copied_ssts + stats.adopted_ssts;
  entry->copy.added_bytes = stats.copied_bytes + stats.adopted_bytes;
  CAIRN_LOG_INFO(
      "backup {}: {} SSTs in backup storage: {} copied ({} bytes), {} adopted, {} "
      "already copied by earlier backups",
      entry->id, copies->size(), stats.copied_ssts, stats.copied_bytes, stats.adopted_ssts,
      stats.reused_ssts);
  return Status::OK();
}

Status BackupService::Publish(const SnapshotEntry& entry, bool layout_known, bool* may_be_listed) {
  std::lock_guard lock(manifest_mu_);
  // Not LoadManifestOrEmpty: a lost manifest.json must not be replaced by one listing only
  // this backup (cairn-sim seed 6: a read fault let the purge's check pass). When what
  // the manifest holds is known (layout_), a Head of manifest.json is enough; else it is
  // read (and must be readable) here.
  bool index_present = true;
  if (layout_known && layout_known_) {
    auto head = storage_.store()->Head(BackupStorage::kManifestKey);
    if (!head.ok() && !head.status().IsNotFound()) {
      return head.status().WithContext("look for manifest.json in " +
                                       storage_.store()->DescribeForLog());
    }
    index_present = head.ok();
  } else {
    ManifestLayout layout;
    auto manifest = storage_.LoadManifest(&layout);
    if (!manifest.ok() && !manifest.status().IsNotFound()) return manifest.status();
    index_present = manifest.ok();
    layout_ = layout;
    layout_known_ = manifest.ok();
  }
  if (!index_present) {
    layout_known_ = false;
    CAIRN_RETURN_IF_ERROR(LoadManifestForPurge(entry.file).status());
  }
  Status saved;
  if (!index_present) {
    // A storage without manifest and without snapshot files: its first backup (or the
    // first after the operator gave the old ones up) starts a new manifest.
    Manifest fresh;
    fresh.snapshots.push_back(entry);
    saved = storage_.StartManifest(fresh);
    if (saved.ok()) {
      layout_ = ManifestLayout{kManifestFormatVersion, 0, 0, entry.id};
      layout_known_ = true;
    }
  } else {
    saved = storage_.AddEntry(entry);
    if (saved.ok()) {
      ++layout_.entries;
      layout_.max_id = std::max(layout_.max_id, entry.id);
      CompactIfDue("backup " + std::to_string(entry.id));
    }
  }
  if (saved.ok()) return saved;
  // The write may have landed with its acknowledgement lost: look before cleaning up.
  auto reread = storage_.LoadManifestOrEmpty();
  *may_be_listed = !reread.ok() || reread->Find(entry.id) != nullptr;
  return reread.ok() && reread->Find(entry.id) ? Status::OK() : saved;
}

void BackupService::CompactIfDue(const std::string& what) {
  // An index from before entry objects is rewritten at once (so that older builds refuse
  // this storage instead of missing backups); else every compact_after() objects. What
  // was just written is in the manifest either way: a failure only delays compaction.
  if (layout_.index_version >= kManifestFormatVersion &&
      layout_.objects() <= storage_.compact_after()) {
    return;
  }
  Status compacted = storage_.CompactManifest();
  if (compacted.ok()) {
    layout_ = ManifestLayout{kManifestFormatVersion, 0, 0, layout_.max_id};
  } else {
    CAIRN_LOG_WARN("{}: compacting the manifest failed ({}); the next change retries", what,
                   compacted.ToString());
  }
}

Status BackupService::SetPin(uint64_t id, uint64_t epoch, uint64_t max_object_id) {
  Txn txn;
  txn.ops.push_back(
      Op::Put(PinKey(id), EncodePin({id, epoch, max_object_id, storage_id_, clock_->NowMillis()})));
  return meta_->Commit(std::move(txn)).status();
}

void BackupService::RemovePinOrLeaveItToPurge(uint64_t id) {
  Status unpinned = RemovePin(id);
  if (!unpinned.ok()) {
    CAIRN_LOG_WARN("backup {}: could not remove pin ({}); purge will remove it", id,
                   unpinned.ToString());
  }
}

Status BackupService::RemovePin(uint64_t id) {
  Txn txn;
  txn.ops.push_back(Op::Delete(PinKey(id)));
  return meta_->Commit(std::move(txn)).status();
}

Result<Manifest> BackupService::List() {
  std::lock_guard lock(manifest_mu_);
  return storage_.LoadManifestOrEmpty();
}

Result<SnapshotEntry> BackupService::Show(uint64_t id) {
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, List());
  const SnapshotEntry* entry = manifest.Find(id);
  if (entry == nullptr) return Status::NotFound("backup " + std::to_string(id) + " does not exist");
  return *entry;
}

Status BackupService::Delete(uint64_t id) {
  std::string file;
  SnapshotEntry deleted;
  {
    std::lock_guard lock(manifest_mu_);
    ManifestLayout layout;
    CAIRN_ASSIGN_OR_RETURN(Manifest manifest, storage_.LoadManifestOrEmpty(&layout));
    const SnapshotEntry* entry = manifest.Find(id);
    if (entry == nullptr) {
      return Status::NotFound("backup " + std::to_string(id) + " does not exist");
    }
    file = entry->file;
    deleted = *entry;
    // A tombstone, not a rewrite of the whole manifest; folded in every compact_after().
    CAIRN_RETURN_IF_ERROR(storage_.AddTombstone(id, clock_->NowMillis()));
    layout_ = layout;
    layout_known_ = true;
    ++layout_.tombstones;
    CompactIfDue("backup delete " + std::to_string(id));
  }
  // Unlisted first, so nobody restores it while its SSTs become deletable.
  CAIRN_RETURN_IF_ERROR(RemovePin(id));
  CAIRN_RETURN_IF_ERROR(storage_.store()->Delete(file));
  if (deleted.self_contained()) FreeCopies(deleted);
  return Status::OK();
}

void BackupService::FreeCopies(const SnapshotEntry& deleted) {
  // A running job may be about to list a copy that no published backup needs yet.
  std::unique_lock job(job_mu_, std::try_to_lock);
  if (!job.owns_lock()) {
    CAIRN_LOG_INFO("backup delete {}: a backup job is running; the orphan purge frees its copies",
                   deleted.id);
    return;
  }
  std::lock_guard lock(manifest_mu_);
  Status freed = [&]() -> Status {
    auto list = ReadCopyList(storage_.store(), deleted.copy.list);
    if (list.status().IsNotFound()) return Status::OK();
    CAIRN_RETURN_IF_ERROR(list.status());
    CAIRN_ASSIGN_OR_RETURN(Manifest manifest, storage_.LoadManifestOrEmpty());
    CAIRN_ASSIGN_OR_RETURN(auto needed, NeededCopies(storage_.store(), manifest));
    CAIRN_ASSIGN_OR_RETURN(uint64_t n, DeleteUnneededCopies(storage_.store(), *list, needed));
    CAIRN_LOG_INFO("backup delete {}: freed {} of its {} copied SSTs", deleted.id, n, list->size());
    return storage_.store()->Delete(deleted.copy.list.key);
  }();
  if (!freed.ok()) {
    CAIRN_LOG_WARN("backup delete {}: freeing copies failed ({}); the orphan purge frees them",
                   deleted.id, freed.ToString());
  }
}

Status BackupService::VerifyCopiesOf(const SnapshotEntry& entry, const VerifiedSnapshot& snapshot,
                                     bool deep, const VerifyProgress& progress,
                                     VerifyReport* report) {
  if (!entry.self_contained()) return Status::OK();
  CAIRN_ASSIGN_OR_RETURN(auto copies, ReadCopyList(storage_.store(), entry.copy.list));
  // The list names exactly the snapshot's SSTs, with their recorded sizes.
  std::vector<SnapshotSst> ssts = snapshot.ssts;
  std::sort(ssts.begin(), ssts.end(),
            [](const SnapshotSst& a, const SnapshotSst& b) { return a.id < b.id; });
  bool same = ssts.size() == copies.size();
  for (size_t i = 0; same && i < ssts.size(); ++i) {
    same = ssts[i].id == copies[i].id && ssts[i].size == copies[i].size;
  }
  if (!same) {
    return Status::Corruption("copy list " + entry.copy.list.key + " does not list the " +
                              std::to_string(ssts.size()) + " SSTs of snapshot " + entry.file +
                              " with their sizes");
  }
  CopyVerifyStats stats;
  CAIRN_RETURN_IF_ERROR(VerifyCopies(storage_.store(), copies, deep, progress, &stats));
  report->self_contained = true;
  report->copies_checked = deep ? stats.checked : copies.size();
  report->copy_bytes_read = stats.bytes_read;
  return Status::OK();
}

Result<VerifyReport> BackupService::Verify(uint64_t id, bool deep, const VerifyProgress& progress) {
  CAIRN_ASSIGN_OR_RETURN(SnapshotEntry entry, Show(id));
  CAIRN_ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, VerifySnapshot(&storage_, entry));
  uint64_t max_listed = 0;
  CAIRN_RETURN_IF_ERROR(VerifySsts(objects_, snapshot.ssts, &max_listed));
  VerifyReport report;
  report.records = snapshot.records;
  report.sst_count = snapshot.ssts.size();
  if (!deep) {
    CAIRN_RETURN_IF_ERROR(VerifyCopiesOf(entry, snapshot, false, progress, &report));
    return report;
  }
  DeepVerifyStats stats;
  CAIRN_RETURN_IF_ERROR(VerifySstsDeep(objects_, snapshot.ssts, progress, &stats));
  report.deep = true;
  report.ssts_checked = snapshot.ssts.size();
  report.bytes_read = stats.bytes_read;
  CAIRN_RETURN_IF_ERROR(VerifyCopiesOf(entry, snapshot, true, progress, &report));
  return report;
}

// A missing manifest with snapshot files beside it is a damaged storage (or the wrong
// one), not an empty one: nothing may be purged on its word.
Result<Manifest> BackupService::LoadManifestForPurge(const std::string& except_file,
                                                     ManifestLayout* layout) {
  auto manifest = storage_.LoadManifest(layout);
  if (manifest.ok() || !manifest.status().IsNotFound()) return manifest;
  bool has_snapshots = false;
  CAIRN_RETURN_IF_ERROR(ListAll(*storage_.store(), "snapshots/", [&](const ObjectMeta& meta) {
    has_snapshots |= meta.key != except_file;
    return Status::OK();
  }));
  if (has_snapshots) {
    return Status::FailedPrecondition(
        "backup storage " + storage_.store()->DescribeForLog() +
        " holds snapshot files but no manifest.json: refusing to purge pins or files (restore "
        "manifest.json, or point the server at the right backup storage)");
  }
  return Manifest{};
}

Result<PurgeReport> BackupService::PurgeOrphans(int64_t grace_ms) {
  std::lock_guard job(job_mu_);  // no job is copying
  return Purge(grace_ms, nullptr, true);
}

Result<PurgeReport> BackupService::Purge(int64_t grace_ms, ManifestLayout* layout, bool copies) {
  std::lock_guard lock(manifest_mu_);
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, LoadManifestForPurge("", layout));
  PurgeReport report;
  int64_t cutoff = clock_->NowMillis() - grace_ms;
  std::vector<std::string> files;
  CAIRN_RETURN_IF_ERROR(ListAll(*storage_.store(), "snapshots/", [&](const ObjectMeta& meta) {
    uint64_t file_id = 0;
    std::string_view name(meta.key);
    if (name.starts_with("snapshots/") && name.ends_with(".snap")) {
      name = name.substr(10, name.size() - 15);
      std::from_chars(name.data(), name.data() + name.size(), file_id);
    }
    if (layout != nullptr) layout->max_id = std::max(layout->max_id, file_id);
    bool listed = std::any_of(manifest.snapshots.begin(), manifest.snapshots.end(),
                              [&](const SnapshotEntry& e) { return e.file == meta.key; });
    if (!listed && meta.mtime_ms < cutoff && meta.key != BackupStorage::SnapshotKey(running_id_)) {
      files.push_back(meta.key);
    }
    return Status::OK();
  }));
  for (const auto& key : files) CAIRN_RETURN_IF_ERROR(storage_.store()->Delete(key));
  report.files = files.size();
  CAIRN_ASSIGN_OR_RETURN(report.pins, PurgePins(manifest, cutoff));
  if (copies) {
    CAIRN_ASSIGN_OR_RETURN(report.copies, PurgeCopyOrphans(storage_.store(), manifest, cutoff));
  }
  return report;
}

// Only pins of this storage (another storage's backups keep theirs), only when their
// backup is not listed, and only once older than the cutoff.
Result<uint64_t> BackupService::PurgePins(const Manifest& manifest, int64_t cutoff_ms) {
  if (storage_id_.empty()) {
    CAIRN_ASSIGN_OR_RETURN(storage_id_, storage_.LoadStorageId());
  }
  CAIRN_ASSIGN_OR_RETURN(PinSet pins, PinSet::Load(meta_->store()));
  uint64_t purged = 0;
  for (const BackupPin& pin : pins.pins()) {
    bool crashed = pin.max_object_id == kPinInProgress && cutoff_ms == kNoGrace;
    bool orphan = !storage_id_.empty() && pin.storage_id == storage_id_ &&
                  pin.created_ms < cutoff_ms && manifest.Find(pin.backup_id) == nullptr;
    if ((crashed || orphan) && pin.backup_id != running_id_) {
      CAIRN_RETURN_IF_ERROR(RemovePin(pin.backup_id));
      ++purged;
    }
  }
  return purged;
}

Result<PurgeReport> BackupService::RecoverAtStart() {
  std::lock_guard job(job_mu_);  // no backup runs: every in-progress pin is a crashed one
  std::lock_guard lock(manifest_mu_);
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, LoadManifestForPurge());
  PurgeReport report;
  CAIRN_ASSIGN_OR_RETURN(report.pins, PurgePins(manifest, kNoGrace));
  return report;
}

BackupMetrics BackupService::metrics() {
  std::lock_guard lock(metrics_mu_);
  BackupMetrics m = metrics_;
  m.copy_running = copy_running_;
  m.copy_ssts_total = copy_progress_.ssts_total;
  m.copy_ssts_done = copy_progress_.ssts_done;
  m.copy_bytes_total = copy_progress_.bytes_total;
  m.copy_bytes_done = copy_progress_.bytes_done;
  return m;
}

}  // namespace cairn
