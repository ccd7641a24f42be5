#include "backup/backup_service.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "common/logging.h"
#include "meta/backup_pins.h"
#include "meta/keys.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

constexpr size_t kCutPage = 1000;

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

  Status Observe(std::string_view key, std::string_view value) {
    if (key == keys::kStorageVersion) {
      CAIRN_ASSIGN_OR_RETURN(VersionHeader header, DecodeVersionHeader(value));
      epoch = header.max_committed_epoch;
      version_id = header.version_id;
    } else if (key.starts_with(keys::kStorageSstPrefix)) {
      CAIRN_ASSIGN_OR_RETURN(SstMeta sst, DecodeSstMeta(value));
      ++sst_count;
      sst_bytes += sst.file_size;
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

Result<SnapshotEntry> BackupService::Create(const std::string& remarks) {
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
  auto purged = PurgeOrphans(kOrphanGraceMs);
  // A storage that lost its manifest must not get a new one listing only this backup.
  if (purged.status().code() == ErrorCode::kFailedPrecondition) return purged.status();
  if (!purged.ok())
    CAIRN_LOG_WARN("backup: purging orphans failed: {}", purged.status().ToString());
  auto entry = [&]() -> Result<SnapshotEntry> {
    for (int attempt = 1;; ++attempt) {
      CAIRN_ASSIGN_OR_RETURN(uint64_t id, meta_->AllocateIds("backup"));
      auto created = CreateLocked(id, remarks);
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
    ++metrics_.jobs_succeeded;
    metrics_.last_snapshot_bytes = entry->file_size;
    metrics_.last_sst_count = entry->sst_count;
  } else {
    ++metrics_.jobs_failed;
  }
  return entry;
}

Result<SnapshotEntry> BackupService::CreateLocked(uint64_t id, const std::string& remarks) {
  // Pin first: everything that leaves the version from now on is kept until the cut
  // is recorded, so compaction between pin and cut cannot lose an SST of the cut.
  CAIRN_ASSIGN_OR_RETURN(auto version, meta_->store()->Get(keys::kStorageVersion));
  uint64_t pin_epoch = 0;
  if (version) {
    CAIRN_ASSIGN_OR_RETURN(VersionHeader header, DecodeVersionHeader(version->value));
    pin_epoch = header.max_committed_epoch;
  }
  {
    std::lock_guard lock(manifest_mu_);
    running_id_ = id;
  }
  Status pinned = SetPin(id, pin_epoch, kPinInProgress);
  auto entry = pinned.ok() ? Cut(id, remarks) : Result<SnapshotEntry>(pinned);
  bool may_be_listed = false;
  if (entry.ok()) {
    Status published = Publish(*entry, &may_be_listed);
    if (!published.ok()) entry = published;
  }
  if (!entry.ok() && !may_be_listed) {
    // Nothing references this backup: remove what the attempt left behind.
    (void)storage_.store()->Delete(BackupStorage::SnapshotKey(id));
    Status unpinned = RemovePin(id);
    if (!unpinned.ok()) {
      CAIRN_LOG_WARN("backup {}: could not remove pin ({}); purge will remove it", id,
                     unpinned.ToString());
    }
  }
  std::lock_guard lock(manifest_mu_);
  running_id_ = 0;
  return entry;
}

Result<SnapshotEntry> BackupService::Cut(uint64_t id, const std::string& remarks) {
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, meta_->store()->Snapshot());
  SnapshotEntry entry;
  entry.id = id;
  entry.created_ms = clock_->NowMillis();
  entry.meta_revision = snapshot->revision();
  entry.file = BackupStorage::SnapshotKey(id);
  entry.format_version = kSnapshotFormatVersion;
  entry.remarks = remarks;

  // The header needs the cluster id and changelog seq, known before streaming.
  CAIRN_ASSIGN_OR_RETURN(auto cluster, snapshot->Get(keys::kClusterId));
  CAIRN_ASSIGN_OR_RETURN(auto seq, snapshot->Get(keys::kChangelogSeq));
  SnapshotHeader header;
  header.snapshot_id = id;
  header.meta_revision = entry.meta_revision;
  header.changelog_seq = seq ? ParseU64(seq->value) : 0;
  header.created_ms = entry.created_ms;
  header.cluster_id = cluster ? cluster->value : "";

  CAIRN_ASSIGN_OR_RETURN(auto writer, SnapshotWriter::Create(storage_.store(), entry.file, header));
  CutSummary summary;
  Status streamed = StreamCut(snapshot.get(), writer.get(), &summary);
  if (!streamed.ok()) {
    writer->Abort();
    return streamed;
  }
  CAIRN_ASSIGN_OR_RETURN(SnapshotFileInfo info, writer->Finish());
  entry.epoch = summary.epoch;
  entry.version_id = summary.version_id;
  entry.changelog_seq = header.changelog_seq;
  entry.cluster_id = header.cluster_id;
  entry.timeline = summary.timeline;
  entry.sst_count = summary.sst_count;
  entry.sst_bytes = summary.sst_bytes;
  entry.id_generators = summary.id_generators;
  entry.max_object_id = summary.id_generators["object"];
  entry.file_size = info.file_size;
  entry.checksum = info.checksum;

  // Narrow the pin to exactly what the cut can reference.
  CAIRN_RETURN_IF_ERROR(SetPin(id, entry.epoch, std::max<uint64_t>(entry.max_object_id, 1)));
  return entry;
}

Status BackupService::Publish(const SnapshotEntry& entry, bool* may_be_listed) {
  std::lock_guard lock(manifest_mu_);
  // Not LoadManifestOrEmpty: a lost manifest.json must not be replaced by one listing only
  // this backup (cairn-sim seed 6: a read fault let the purge's check pass).
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, LoadManifestForPurge(entry.file));
  manifest.snapshots.push_back(entry);
  Status saved = storage_.SaveManifest(manifest);
  if (saved.ok()) return saved;
  // The write may have landed with its acknowledgement lost: look before cleaning up.
  auto reread = storage_.LoadManifestOrEmpty();
  *may_be_listed = !reread.ok() || reread->Find(entry.id) != nullptr;
  return reread.ok() && reread->Find(entry.id) ? Status::OK() : saved;
}

Status BackupService::SetPin(uint64_t id, uint64_t epoch, uint64_t max_object_id) {
  Txn txn;
  txn.ops.push_back(
      Op::Put(PinKey(id), EncodePin({id, epoch, max_object_id, storage_id_, clock_->NowMillis()})));
  return meta_->Commit(std::move(txn)).status();
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
  {
    std::lock_guard lock(manifest_mu_);
    CAIRN_ASSIGN_OR_RETURN(Manifest manifest, storage_.LoadManifestOrEmpty());
    auto it = std::find_if(manifest.snapshots.begin(), manifest.snapshots.end(),
                           [&](const SnapshotEntry& e) { return e.id == id; });
    if (it == manifest.snapshots.end()) {
      return Status::NotFound("backup " + std::to_string(id) + " does not exist");
    }
    file = it->file;
    manifest.snapshots.erase(it);
    CAIRN_RETURN_IF_ERROR(storage_.SaveManifest(manifest));
  }
  // Unlisted first, so nobody restores it while its SSTs become deletable.
  CAIRN_RETURN_IF_ERROR(RemovePin(id));
  return storage_.store()->Delete(file);
}

Result<VerifyReport> BackupService::Verify(uint64_t id, bool deep, const VerifyProgress& progress) {
  CAIRN_ASSIGN_OR_RETURN(SnapshotEntry entry, Show(id));
  CAIRN_ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, VerifySnapshot(&storage_, entry));
  uint64_t max_listed = 0;
  CAIRN_RETURN_IF_ERROR(VerifySsts(objects_, snapshot.ssts, &max_listed));
  VerifyReport report;
  report.records = snapshot.records;
  report.sst_count = snapshot.ssts.size();
  if (!deep) return report;
  DeepVerifyStats stats;
  CAIRN_RETURN_IF_ERROR(VerifySstsDeep(objects_, snapshot.ssts, progress, &stats));
  report.deep = true;
  report.ssts_checked = snapshot.ssts.size();
  report.bytes_read = stats.bytes_read;
  return report;
}

// A missing manifest with snapshot files beside it is a damaged storage (or the wrong
// one), not an empty one: nothing may be purged on its word.
Result<Manifest> BackupService::LoadManifestForPurge(const std::string& except_file) {
  auto manifest = storage_.LoadManifest();
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
  std::lock_guard lock(manifest_mu_);
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, LoadManifestForPurge());
  PurgeReport report;
  int64_t cutoff = clock_->NowMillis() - grace_ms;
  std::vector<std::string> files;
  CAIRN_RETURN_IF_ERROR(ListAll(*storage_.store(), "snapshots/", [&](const ObjectMeta& meta) {
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
  return metrics_;
}

}  // namespace cairn
