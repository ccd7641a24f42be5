// ChangelogArchiver: ships the meta store's changelog to backup storage as sealed
// segments (docs/pitr.md), trims archived records from the meta store once they are
// older than the PITR retention, and expires segments no restore inside the window
// needs. The last archived seq is derived from the backup storage listing, so the
// archiver keeps no state of its own. It archives, trims and expires only its cluster's
// timeline (backup/timeline.h): segments are named for it, and another timeline's
// segments are never read, trimmed or expired on its behalf.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "backup/changelog_trim.h"
#include "backup/manifest.h"
#include "backup/pitr_segment.h"
#include "common/clock.h"
#include "common/result.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

struct ArchiveReport {
  uint64_t records = 0;       // records archived by this call
  uint64_t segments = 0;      // segments written
  uint64_t bytes = 0;         // segment bytes written
  uint64_t archived_seq = 0;  // last archived seq after the call
  uint64_t head_seq = 0;      // meta store changelog head read by the call
};

struct ExpireReport {
  uint64_t segments = 0;  // segments deleted
  uint64_t bytes = 0;
  uint64_t kept_from_seq = 0;   // first seq still archived (0 = nothing to keep from)
  uint64_t dead_timelines = 0;  // other timelines whose segments were all deleted
};

// For the server's /metrics (names suggested in docs/pitr.md).
struct ArchiverMetrics {
  uint64_t head_seq = 0;      // changelog head at the last run
  uint64_t archived_seq = 0;  // last archived seq
  uint64_t lag_records = 0;   // head_seq - archived_seq
  // Upper bound on the age of the oldest unarchived record: time since the start of
  // the last run that caught up (0 before the first successful run).
  double lag_seconds = 0;
  uint64_t runs = 0;
  uint64_t failures = 0;
  uint64_t records_archived = 0;
  uint64_t records_trimmed = 0;
  uint64_t segments_expired = 0;
  bool failing = false;              // the last pass failed
  uint64_t backlog_records = 0;      // filled by the caller: BacklogRecords(head)
  uint64_t max_backlog_records = 0;  // the option (0 = no limit)
  int64_t failing_since_ms = 0;      // when the current run of failed passes began
};

struct ChangelogArchiverOptions {
  Clock* clock = nullptr;  // nullptr = SystemClock::Default()
  int64_t pitr_retention_ms = 0;
  size_t max_segment_records = 100000;  // a larger backlog is split into several segments
  // Expire old segments every this many background passes (it lists all segments).
  int expire_every_passes = 60;
  // Writes are refused (CheckBacklog) while more than this many changelog records are
  // committed but not archived; 0 = never (the server's --max-changelog-backlog,
  // docs/pitr.md "Archiving backlog").
  uint64_t max_backlog_records = 0;
};

class ChangelogArchiver {
 public:
  // `meta` is the cluster's meta store; `backup_storage` the backup ObjectStore.
  ChangelogArchiver(MetaStore* meta, ObjectStore* backup_storage,
                    const ChangelogArchiverOptions& options);
  ~ChangelogArchiver();

  // Archives every record committed so far that is not archived yet (one segment, or
  // several for a large backlog). Conflict when backup storage holds records beyond the
  // meta store's head (another cluster timeline, e.g. after a restore).
  Result<ArchiveReport> ArchiveOnce();
  // Deletes meta-store records that are archived and older than `retention_ms`.
  Result<TrimReport> TrimArchived(int64_t retention_ms);
  // Deletes segments entirely at or before the newest snapshot taken at or before
  // now - retention_ms (restore to any time in the window starts at that snapshot),
  // and every segment of a dead timeline (no listed backup and no retention window can
  // reach it, ExpireDeadTimelines). Never deletes snapshots.
  Result<ExpireReport> ExpireArchive(int64_t retention_ms);
  // One background pass: archive, trim (and expire every few passes).
  Status RunOnce();

  // Background loop: RunOnce every `interval_ms` (the checkpoint interval, so the RPO
  // after losing the meta store is one interval). Stop() runs a last pass.
  void Start(int64_t interval_ms);
  void Stop();

  ArchiverMetrics metrics();
  // FailedPrecondition when `head_seq` (the MetaWriter's last seq) is more than
  // max_backlog_records past the last archived seq: the meta store must not fill while
  // backup storage is unreachable. Before the first pass knows the archived seq, the
  // first head passed in counts as archived. Cheap and lock-free: a write fence.
  Status CheckBacklog(uint64_t head_seq);
  // Records committed up to `head_seq` and not archived (as CheckBacklog counts them).
  uint64_t BacklogRecords(uint64_t head_seq);
  // The background pass trims and expires with this retention (param `pitr_retention`
  // may change while the server runs).
  void SetRetention(int64_t retention_ms) { retention_ms_ = retention_ms; }
  // The background loop's interval from now on (param `checkpoint_interval` changed):
  // the current wait ends, a pass runs, then the loop waits `interval_ms`.
  void SetInterval(int64_t interval_ms);

 private:
  Status LoadArchivedSeq();
  Status ExpireDeadTimelines(const Manifest& manifest, const std::vector<SegmentInfo>& segments,
                             int64_t cutoff_ms, ExpireReport* report);
  Status PublishTimelineHistory();
  Result<uint64_t> ReadHeadSeq();
  Status WriteSegment(std::vector<ChangelogRecord>* pending, ArchiveReport* report);
  void Loop();

  MetaStore* const meta_;
  ObjectStore* const backups_;
  Clock* const clock_;
  const ChangelogArchiverOptions options_;
  std::atomic<int64_t> retention_ms_;

  std::mutex run_mu_;  // one pass at a time
  bool loaded_ = false;
  uint64_t archived_seq_ = 0;  // of timeline_; guarded by run_mu_
  uint32_t timeline_ = 1;      // the cluster's timeline (read once, with archived_seq_)

  std::mutex metrics_mu_;
  ArchiverMetrics metrics_;
  int64_t caught_up_ms_ = 0;  // start of the last run that caught up

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_ = false;
  bool interval_changed_ = false;
  int64_t interval_ms_ = 1000;  // guarded by loop_mu_
  std::thread thread_;
  std::atomic<int> passes_{0};
  // For CheckBacklog: the archived seq (kUnknownSeq until a pass or the first check).
  static constexpr uint64_t kUnknownSeq = ~uint64_t{0};
  std::atomic<uint64_t> backlog_base_{kUnknownSeq};
};

}  // namespace cairn
