#include "backup/backup_reader.h"

#include <algorithm>

#include "backup/backup_version.h"
#include "backup/pitr_range.h"
#include "common/epoch.h"
#include "meta/cluster_id.h"
#include "meta/keys.h"
#include "meta/time_spec.h"

namespace cairn {
namespace {

std::string Instant(uint64_t epoch) {
  return FormatRfc3339Millis(EpochToMillis(epoch)) + " (epoch " + std::to_string(epoch) + ")";
}

std::string Backup(const SnapshotEntry& e) {
  return "backup " + std::to_string(e.id) + " at " + FormatRfc3339Millis(e.created_ms);
}

}  // namespace

BackupReader::BackupReader(ObjectStore* backups, ObjectStore* objects, MetaStore* meta,
                           std::string cluster_id, BackupReaderOptions options)
    : backups_(backups),
      objects_(objects),
      meta_(meta),
      cluster_id_(std::move(cluster_id)),
      options_(std::move(options)),
      block_cache_(options_.block_cache_bytes) {}

// The timeline and its ancestors never change while the cluster runs (only a restore,
// which makes another cluster, moves it), so the path is computed once.
Result<std::vector<PathStep>> BackupReader::Path() {
  {
    std::lock_guard lock(mu_);
    if (path_) return *path_;
  }
  CAIRN_ASSIGN_OR_RETURN(uint32_t timeline, ReadClusterTimeline(meta_));
  CAIRN_ASSIGN_OR_RETURN(TimelineMap timelines, LoadTimelines(backups_));
  if (!timelines.count(timeline)) {
    // Restored, and the archiver has not published the history yet: the meta store has it.
    CAIRN_ASSIGN_OR_RETURN(auto kv, meta_->Get(keys::kTimelineHistory));
    TimelineHistory own;
    own.timeline = timeline;
    if (kv) {
      CAIRN_ASSIGN_OR_RETURN(own, DecodeTimeline(kv->value, std::string(keys::kTimelineHistory)));
    }
    if (own.parent != 0 && !timelines.count(own.parent)) own.parent = 0;
    timelines[timeline] = own;
  }
  CAIRN_ASSIGN_OR_RETURN(auto path, TimelinePath(timelines, timeline));
  std::lock_guard lock(mu_);
  path_ = path;
  return path;
}

std::string BackupReader::DescribePath() const {
  std::lock_guard lock(mu_);
  std::string out = "timeline " + std::to_string(path_->front().timeline);
  for (size_t i = 1; i < path_->size(); ++i) {
    out += ", from timeline " + std::to_string((*path_)[i].timeline) + " at seq " +
           std::to_string((*path_)[i].through_seq);
  }
  return out;
}

Result<BackupReader::Eligible> BackupReader::LoadEligible() {
  CAIRN_ASSIGN_OR_RETURN(auto path, Path());
  BackupStorage storage(backups_);
  Eligible out;
  CAIRN_ASSIGN_OR_RETURN(out.listed, storage.LoadManifestOrEmpty());
  ForgetUnlisted(out.listed);
  out.eligible = out.listed;
  std::vector<SegmentInfo> no_segments;
  FilterToPath(path, &out.eligible, &no_segments);
  std::erase_if(out.eligible.snapshots,
                [&](const SnapshotEntry& e) { return e.cluster_id != cluster_id_; });
  return out;
}

Result<ServedBackup> BackupReader::ById(uint64_t id) {
  CAIRN_ASSIGN_OR_RETURN(Eligible backups, LoadEligible());
  const SnapshotEntry* listed = backups.listed.Find(id);
  if (listed == nullptr) {
    return Status::NotFound("backup " + std::to_string(id) + " does not exist in backup storage " +
                            backups_->DescribeForLog());
  }
  if (listed->cluster_id != cluster_id_) {
    return Status::InvalidArgument("backup " + std::to_string(id) + " belongs to cluster " +
                                   listed->cluster_id + ", not to this cluster (" + cluster_id_ +
                                   ")");
  }
  if (backups.eligible.Find(id) == nullptr) {
    return Status::InvalidArgument("backup " + std::to_string(id) + " (timeline " +
                                   std::to_string(listed->timeline) + ", seq " +
                                   std::to_string(listed->changelog_seq) +
                                   ") is not in this cluster's history: " + DescribePath());
  }
  return Serve(*listed);
}

Result<ServedBackup> BackupReader::AtEpoch(uint64_t epoch, uint64_t oldest_live_epoch) {
  CAIRN_ASSIGN_OR_RETURN(Eligible backups, LoadEligible());
  const SnapshotEntry* best = nullptr;
  const SnapshotEntry* oldest = nullptr;
  for (const SnapshotEntry& e : backups.eligible.snapshots) {
    uint64_t bound = SnapshotBoundEpoch(e);
    if (!oldest || bound < SnapshotBoundEpoch(*oldest)) oldest = &e;
    if (bound <= epoch && (!best || bound >= SnapshotBoundEpoch(*best))) best = &e;
  }
  if (best) return Serve(*best);
  std::string what = "as-of " + Instant(epoch) +
                     " is older than the PITR retention window (pitr_retention) and than every "
                     "backup of this cluster on its " +
                     DescribePath() + ": the oldest readable point is ";
  if (oldest) return Status::InvalidArgument(what + Backup(*oldest));
  return Status::InvalidArgument(what + Instant(oldest_live_epoch) + " (backup storage " +
                                 backups_->DescribeForLog() + " holds no backup of it)");
}

Result<ServedBackup> BackupReader::Serve(const SnapshotEntry& entry) {
  {
    std::lock_guard lock(mu_);
    for (auto it = lru_.begin(); it != lru_.end(); ++it) {
      if (it->id != entry.id || it->checksum != entry.checksum) continue;
      lru_.splice(lru_.begin(), lru_, it);
      return ServedBackup{entry, it->view};
    }
  }
  if (options_.admit_snapshot_read) CAIRN_RETURN_IF_ERROR(options_.admit_snapshot_read());
  CAIRN_ASSIGN_OR_RETURN(BackupVersion decoded, ReadBackupVersion(backups_, entry));
  auto view = FrozenVersion::Make(objects_, &block_cache_, std::move(decoded.version),
                                  std::move(decoded.catalog), decoded.cut_epoch);
  std::lock_guard lock(mu_);
  ++snapshot_reads_;
  std::erase_if(lru_, [&](const Cached& c) { return c.id == entry.id; });
  lru_.push_front({entry.id, entry.checksum, view});
  while (lru_.size() > std::max<size_t>(options_.cached_backups, 1)) lru_.pop_back();
  return ServedBackup{entry, view};
}

void BackupReader::ForgetUnlisted(const Manifest& listed) {
  std::lock_guard lock(mu_);
  std::erase_if(lru_, [&](const Cached& c) { return listed.Find(c.id) == nullptr; });
}

uint64_t BackupReader::snapshot_reads() const {
  std::lock_guard lock(mu_);
  return snapshot_reads_;
}

size_t BackupReader::cached() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace cairn
