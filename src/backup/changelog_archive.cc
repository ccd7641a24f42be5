#include "backup/changelog_archive.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "backup/manifest.h"
#include "backup/timeline.h"
#include "common/logging.h"
#include "meta/cluster_id.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr size_t kReadPage = 1000;

// "changelog/00000000000000000042" -> 42.
bool SeqFromKey(std::string_view key, uint64_t* seq) {
  key.remove_prefix(keys::kChangelogPrefix.size());
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), *seq);
  return ec == std::errc() && end == key.data() + key.size();
}

}  // namespace

ChangelogArchiver::ChangelogArchiver(MetaStore* meta, ObjectStore* backup_storage,
                                     const ChangelogArchiverOptions& options)
    : meta_(meta),
      backups_(backup_storage),
      clock_(options.clock ? options.clock : SystemClock::Default()),
      options_(options),
      retention_ms_(options.pitr_retention_ms) {}

ChangelogArchiver::~ChangelogArchiver() { Stop(); }

// The cluster's timeline, its history object in backup storage (a restored cluster may
// archive into another storage than the one it was restored from), and the last seq
// archived for that timeline: other timelines' segments are never looked at.
Status ChangelogArchiver::LoadArchivedSeq() {
  if (loaded_) return Status::OK();
  CAIRN_ASSIGN_OR_RETURN(timeline_, ReadClusterTimeline(meta_));
  if (timeline_ > 1) CAIRN_RETURN_IF_ERROR(PublishTimelineHistory());
  CAIRN_ASSIGN_OR_RETURN(auto segments, ListSegments(backups_));
  archived_seq_ = 0;
  for (const auto& seg : segments) {
    if (seg.timeline == timeline_) archived_seq_ = std::max(archived_seq_, seg.last_seq);
  }
  loaded_ = true;
  return Status::OK();
}

Status ChangelogArchiver::PublishTimelineHistory() {
  CAIRN_ASSIGN_OR_RETURN(auto history, meta_->Get(keys::kTimelineHistory));
  if (!history) return Status::OK();  // restored before histories were kept in the meta store
  Status put = backups_->PutIfAbsent(TimelineKey(timeline_), history->value);
  return put.code() == ErrorCode::kAlreadyExists ? Status::OK() : put;
}

Result<uint64_t> ChangelogArchiver::ReadHeadSeq() {
  CAIRN_ASSIGN_OR_RETURN(auto kv, meta_->Get(keys::kChangelogSeq));
  if (!kv) return uint64_t{0};
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(kv->value.data(), kv->value.data() + kv->value.size(), seq);
  if (ec != std::errc() || end != kv->value.data() + kv->value.size()) {
    return Status::Corruption("meta key " + std::string(keys::kChangelogSeq) +
                              " holds a non-number: '" + kv->value + "'");
  }
  return seq;
}

Status ChangelogArchiver::WriteSegment(std::vector<ChangelogRecord>* pending,
                                       ArchiveReport* report) {
  if (pending->empty()) return Status::OK();
  std::string key = SegmentKey(pending->front().seq, pending->back().seq, timeline_);
  std::string bytes = EncodeSegment(*pending);
  CAIRN_RETURN_IF_ERROR(backups_->Put(key, bytes));
  archived_seq_ = pending->back().seq;
  report->records += pending->size();
  report->segments++;
  report->bytes += bytes.size();
  pending->clear();
  return Status::OK();
}

Result<ArchiveReport> ChangelogArchiver::ArchiveOnce() {
  std::lock_guard lock(run_mu_);
  int64_t start_ms = clock_->NowMillis();
  CAIRN_RETURN_IF_ERROR(LoadArchivedSeq());
  ArchiveReport report;
  CAIRN_ASSIGN_OR_RETURN(report.head_seq, ReadHeadSeq());
  if (report.head_seq < archived_seq_) {
    return Status::Conflict("backup storage " + backups_->DescribeForLog() +
                            " holds changelog records of timeline " + std::to_string(timeline_) +
                            " up to seq " + std::to_string(archived_seq_) + " but meta store " +
                            meta_->DescribeForLog() + " is at seq " +
                            std::to_string(report.head_seq) +
                            ": two meta stores claim the same timeline (a copy of the meta "
                            "store started a second time?)");
  }
  std::vector<ChangelogRecord> pending;
  std::string begin = keys::ChangelogKey(archived_seq_ + 1);
  const std::string end = keys::ChangelogKey(report.head_seq + 1);
  while (archived_seq_ + pending.size() < report.head_seq) {
    CAIRN_ASSIGN_OR_RETURN(auto page, meta_->Range(begin, end, kReadPage));
    if (page.empty()) break;
    for (const auto& kv : page) {
      uint64_t seq = 0;
      uint64_t expect = archived_seq_ + pending.size() + 1;
      // The very first archive starts wherever the meta store's changelog starts.
      bool first_ever = archived_seq_ == 0 && pending.empty();
      if (!SeqFromKey(kv.key, &seq) || (seq != expect && !first_ever)) {
        return Status::Corruption("meta store changelog key " + kv.key + " where seq " +
                                  std::to_string(expect) +
                                  " was expected: records were lost before being archived");
      }
      auto record = DecodeChangelogRecord(kv.value);
      if (!record.ok()) return record.status().WithContext("meta key " + kv.key);
      if (first_ever) archived_seq_ = seq - 1;
      pending.push_back(std::move(*record));
      if (pending.size() >= options_.max_segment_records) {
        CAIRN_RETURN_IF_ERROR(WriteSegment(&pending, &report));
      }
    }
    begin = page.back().key + '\0';
  }
  CAIRN_RETURN_IF_ERROR(WriteSegment(&pending, &report));
  // A meta store restored from a snapshot has a head but no records until its next
  // commit; anything else short of the head means records are missing.
  bool nothing_yet = archived_seq_ == 0 && report.records == 0;
  if (archived_seq_ < report.head_seq && !nothing_yet) {
    return Status::Corruption("meta store changelog ends at seq " + std::to_string(archived_seq_) +
                              " but its head is " + std::to_string(report.head_seq) +
                              ": records were lost before being archived");
  }
  report.archived_seq = archived_seq_;
  backlog_base_ = nothing_yet ? report.head_seq : archived_seq_;
  std::lock_guard m(metrics_mu_);
  metrics_.head_seq = report.head_seq;
  metrics_.archived_seq = archived_seq_;
  metrics_.lag_records = nothing_yet ? 0 : report.head_seq - archived_seq_;
  metrics_.records_archived += report.records;
  if (metrics_.lag_records == 0) caught_up_ms_ = start_ms;
  return report;
}

Result<TrimReport> ChangelogArchiver::TrimArchived(int64_t retention_ms) {
  std::lock_guard lock(run_mu_);
  CAIRN_RETURN_IF_ERROR(LoadArchivedSeq());
  CAIRN_ASSIGN_OR_RETURN(TrimReport report,
                         TrimChangelog(meta_, archived_seq_, clock_->NowMillis() - retention_ms));
  std::lock_guard m(metrics_mu_);
  metrics_.records_trimmed += report.records;
  return report;
}

Result<ExpireReport> ChangelogArchiver::ExpireArchive(int64_t retention_ms) {
  std::lock_guard lock(run_mu_);
  ExpireReport report;
  BackupStorage storage(backups_);
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, storage.LoadManifestOrEmpty());
  const int64_t cutoff_ms = clock_->NowMillis() - retention_ms;
  CAIRN_RETURN_IF_ERROR(LoadArchivedSeq());
  CAIRN_ASSIGN_OR_RETURN(auto segments, ListSegments(backups_));
  CAIRN_RETURN_IF_ERROR(ExpireDeadTimelines(manifest, segments, cutoff_ms, &report));
  // Only this timeline's segments, against this timeline's snapshots: a segment another
  // timeline's history needs is never expired on its behalf.
  const SnapshotEntry* base = nullptr;  // newest snapshot at or before the window start
  for (const auto& s : manifest.snapshots) {
    if (s.timeline != timeline_) continue;
    if (s.created_ms <= cutoff_ms && (!base || s.created_ms > base->created_ms)) base = &s;
  }
  if (base != nullptr) {  // else the window reaches back before every snapshot
    report.kept_from_seq = base->changelog_seq + 1;
    for (const auto& seg : segments) {
      if (seg.timeline != timeline_ || seg.last_seq > base->changelog_seq) continue;
      CAIRN_RETURN_IF_ERROR(backups_->Delete(seg.key));
      report.segments++;
      report.bytes += seg.size;
    }
  }
  std::lock_guard m(metrics_mu_);
  metrics_.segments_expired += report.segments;
  return report;
}

// A timeline's segments are replayed only on a path that starts at a snapshot on that
// timeline or on one of its ancestors, towards a target on it or on a descendant. So the
// segments of timeline N are dead, and deleted, when (docs/pitr.md "Dead timelines"):
// neither N nor a descendant of N is this cluster's timeline or one of its ancestors;
// no listed backup is on N or a descendant; and N and every descendant ended before the
// window (last archived record, or for one without segments its creation, older than
// `cutoff_ms`): no PITR target inside any retention window lies on them, and their
// backups are gone. Timelines whose history is unknown are left alone.
Status ChangelogArchiver::ExpireDeadTimelines(const Manifest& manifest,
                                              const std::vector<SegmentInfo>& segments,
                                              int64_t cutoff_ms, ExpireReport* report) {
  CAIRN_ASSIGN_OR_RETURN(TimelineMap timelines, LoadTimelines(backups_));
  auto own_path = TimelinePath(timelines, timeline_);
  if (!own_path.ok()) return Status::OK();  // our own history is not published (yet)
  std::set<uint32_t> keep;                  // this timeline and its ancestors
  for (const PathStep& step : *own_path) keep.insert(step.timeline);
  std::map<uint32_t, std::vector<uint32_t>> children;
  for (const auto& [n, history] : timelines) {
    if (n > 1) children[history.parent].push_back(n);
  }
  std::map<uint32_t, std::vector<const SegmentInfo*>> by_timeline;
  for (const auto& seg : segments) by_timeline[seg.timeline].push_back(&seg);
  std::set<uint32_t> listed;
  for (const auto& s : manifest.snapshots) listed.insert(s.timeline);

  // When a timeline's history ended: its last archived record, else its creation.
  std::map<uint32_t, int64_t> ended_ms;
  auto ended = [&](uint32_t t) -> Result<int64_t> {
    if (auto it = ended_ms.find(t); it != ended_ms.end()) return it->second;
    int64_t end = timelines.at(t).created_ms;
    auto segs = by_timeline.find(t);
    if (segs != by_timeline.end() && !segs->second.empty()) {
      const SegmentInfo* last = segs->second.back();  // ascending seq
      CAIRN_ASSIGN_OR_RETURN(auto records, ReadSegment(backups_, *last));
      for (const auto& r : records) end = std::max(end, r.wall_time_ms);
    }
    ended_ms[t] = end;
    return end;
  };

  for (const auto& [n, history] : timelines) {
    auto segs = by_timeline.find(n);
    if (segs == by_timeline.end() || segs->second.empty()) continue;
    std::vector<uint32_t> subtree = {n};
    for (size_t i = 0; i < subtree.size(); ++i) {
      for (uint32_t child : children[subtree[i]]) subtree.push_back(child);
    }
    bool dead = true;
    for (uint32_t t : subtree) {
      if (keep.count(t) || listed.count(t)) {
        dead = false;
        break;
      }
      CAIRN_ASSIGN_OR_RETURN(int64_t end, ended(t));
      if (end >= cutoff_ms) {
        dead = false;
        break;
      }
    }
    if (!dead) continue;
    for (const SegmentInfo* seg : segs->second) {
      CAIRN_RETURN_IF_ERROR(backups_->Delete(seg->key));
      report->segments++;
      report->bytes += seg->size;
    }
    report->dead_timelines++;
  }
  return Status::OK();
}

Status ChangelogArchiver::RunOnce() {
  Status status = ArchiveOnce().status();
  if (status.ok()) status = TrimArchived(retention_ms_).status();
  if (status.ok() && options_.expire_every_passes > 0 &&
      passes_++ % options_.expire_every_passes == 0) {
    status = ExpireArchive(retention_ms_).status();
  }
  std::lock_guard m(metrics_mu_);
  metrics_.runs++;
  if (!status.ok()) {
    metrics_.failures++;
    if (!metrics_.failing) metrics_.failing_since_ms = clock_->NowMillis();
  }
  metrics_.failing = !status.ok();
  return status;
}

void ChangelogArchiver::Start(int64_t interval_ms) {
  std::lock_guard lock(loop_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  interval_ms_ = interval_ms;
  thread_ = std::thread([this] { Loop(); });
}

void ChangelogArchiver::SetInterval(int64_t interval_ms) {
  {
    std::lock_guard lock(loop_mu_);
    if (interval_ms == interval_ms_) return;
    interval_ms_ = interval_ms;
    interval_changed_ = true;
  }
  loop_cv_.notify_all();
}

void ChangelogArchiver::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  loop_cv_.notify_all();
  thread_.join();
}

void ChangelogArchiver::Loop() {
  constexpr int64_t kLogEveryMs = 60'000;
  std::unique_lock lock(loop_mu_);
  bool failing = false;
  int64_t logged_ms = 0;  // a persistent failure is logged once a minute, not every pass
  for (;;) {
    // Real time, not the injected clock: this only paces the loop.
    loop_cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                      [&] { return stop_ || interval_changed_; });
    bool stopping = stop_;
    interval_changed_ = false;
    lock.unlock();
    Status status = RunOnce();
    const int64_t now = clock_->NowMillis();
    if (!status.ok() && (!failing || now - logged_ms >= kLogEveryMs)) {
      CAIRN_LOG_WARN(
          "changelog archiver: {} (logged at most once a minute; failed passes are counted "
          "in cairn_changelog_archive_failures_total)",
          status.ToString());
      logged_ms = now;
    } else if (status.ok() && failing) {
      CAIRN_LOG_INFO("changelog archiver: recovered");
    }
    failing = !status.ok();
    lock.lock();
    if (stopping) return;
  }
}

uint64_t ChangelogArchiver::BacklogRecords(uint64_t head_seq) {
  uint64_t base = backlog_base_.load();
  if (base == kUnknownSeq) {
    backlog_base_.compare_exchange_strong(base, head_seq);
    base = backlog_base_.load();
  }
  return head_seq > base ? head_seq - base : 0;
}

Status ChangelogArchiver::CheckBacklog(uint64_t head_seq) {
  const uint64_t max = options_.max_backlog_records;
  const uint64_t backlog = BacklogRecords(head_seq);
  if (max == 0 || backlog <= max) return Status::OK();
  return Status::FailedPrecondition(
      "writes refused: " + std::to_string(backlog) +
      " changelog records are not archived to backup storage " + backups_->DescribeForLog() +
      " (limit " + std::to_string(max) +
      ", --max-changelog-backlog); they resume once archiving catches up");
}

ArchiverMetrics ChangelogArchiver::metrics() {
  std::lock_guard m(metrics_mu_);
  ArchiverMetrics out = metrics_;
  if (caught_up_ms_ > 0) out.lag_seconds = (clock_->NowMillis() - caught_up_ms_) / 1000.0;
  return out;
}

}  // namespace cairn
