#include "server/metrics.h"

#include <fmt/format.h>

namespace cairn::server {
namespace {

void Metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// A metric with one unlabelled sample.
template <typename T>
void Single(std::string* out, const char* name, const char* type, const char* help, T value) {
  Metric(out, name, type, help);
  *out += fmt::format("{} {}\n", name, value);
}

}  // namespace

void Metrics::RecordRpc(const std::string& method, bool ok) {
  std::lock_guard lock(mu_);
  RpcCount& count = rpcs_[method];
  ++count.requests;
  if (!ok) ++count.errors;
}

std::string Metrics::Render(const ClusterStats& s, uint64_t changelog_seq) {
  std::string out;
  Single(&out, "cairn_checkpoint_last_duration_ms", "gauge",
         "duration of the last checkpoint (seal, upload, meta commit)", s.last_checkpoint_ms);
  Single(&out, "cairn_checkpoints_total", "counter", "checkpoints committed", s.checkpoints);
  Single(&out, "cairn_committed_epoch", "gauge", "max committed epoch", s.committed_epoch);
  Single(&out, "cairn_version_id", "gauge", "current storage version id", s.version_id);
  Single(&out, "cairn_changelog_seq", "gauge", "seq of the last metadata changelog record",
         changelog_seq);
  Metric(&out, "cairn_sst_count", "gauge", "SSTs per LSM level");
  for (const LevelStats& l : s.levels) {
    out += fmt::format("cairn_sst_count{{level=\"{}\"}} {}\n", l.level, l.sst_count);
  }
  Metric(&out, "cairn_sst_bytes", "gauge", "SST bytes per LSM level");
  for (const LevelStats& l : s.levels) {
    out += fmt::format("cairn_sst_bytes{{level=\"{}\"}} {}\n", l.level, l.bytes);
  }
  Single(&out, "cairn_compactions_total", "counter", "compactions committed", s.compactions);
  Single(&out, "cairn_compactions_running", "gauge",
         "compactions running now (at most --max-background-compactions)", s.compactions_running);
  Single(&out, "cairn_checkpoint_failures_total", "counter", "failed checkpoint attempts",
         s.checkpoint_failures.total);
  Single(&out, "cairn_checkpoint_failing", "gauge", "checkpoint attempts failed in a row",
         s.checkpoint_failures.consecutive);
  Single(&out, "cairn_compaction_failures_total", "counter", "failed compactions",
         s.compaction_failures.total);
  Single(&out, "cairn_compaction_failing", "gauge", "compactions failed in a row",
         s.compaction_failures.consecutive);
  Single(&out, "cairn_write_stall", "gauge",
         "write backpressure: 0 none, 1 writes slowed down, 2 writes stopped", s.write_stall);
  Single(&out, "cairn_write_slowdowns_total", "counter", "entries into write slowdown",
         s.write_slowdowns);
  Single(&out, "cairn_write_stops_total", "counter", "entries into write stop", s.write_stops);
  Single(&out, "cairn_writes_refused_total", "counter",
         "writes refused with Busy after waiting in write stop", s.writes_refused);
  Single(&out, "cairn_unflushed_bytes", "gauge", "memtable bytes not yet checkpointed",
         s.unflushed_bytes);
  Single(&out, "cairn_vacuum_deleted_objects_total", "counter", "objects deleted by vacuum",
         s.vacuum_deleted);
  Single(&out, "cairn_clock_behind_ms", "gauge", "clock behind the last epoch", s.clock_behind_ms);
  Single(&out, "cairn_clock_steps_total", "counter", "clock steps back detected", s.clock_steps);

  std::lock_guard lock(mu_);
  Metric(&out, "cairn_rpc_requests_total", "counter", "gRPC requests per method");
  for (const auto& [method, count] : rpcs_) {
    out += fmt::format("cairn_rpc_requests_total{{method=\"{}\"}} {}\n", method, count.requests);
  }
  Metric(&out, "cairn_rpc_errors_total", "counter", "gRPC requests that failed, per method");
  for (const auto& [method, count] : rpcs_) {
    out += fmt::format("cairn_rpc_errors_total{{method=\"{}\"}} {}\n", method, count.errors);
  }
  return out;
}

std::string RenderBackupMetrics(const BackupMetrics& b, const ArchiverMetrics& a) {
  std::string out;
  Metric(&out, "cairn_backup_jobs_total", "counter", "backup jobs by result");
  out += fmt::format("cairn_backup_jobs_total{{result=\"ok\"}} {}\n", b.jobs_succeeded);
  out += fmt::format("cairn_backup_jobs_total{{result=\"error\"}} {}\n", b.jobs_failed);
  Single(&out, "cairn_backup_last_duration_ms", "gauge", "duration of the last backup job",
         b.last_duration_ms);
  Single(&out, "cairn_backup_last_snapshot_bytes", "gauge", "size of the last snapshot file",
         b.last_snapshot_bytes);
  Single(&out, "cairn_backup_pinned_ssts", "gauge", "SSTs referenced by the last backup",
         b.last_sst_count);
  // --copy-data (docs/backup-format.md "Copied SSTs").
  Single(&out, "cairn_backup_copy_running", "gauge", "1 while a backup job copies SSTs",
         b.copy_running ? 1 : 0);
  Single(&out, "cairn_backup_copy_ssts_done", "gauge", "SSTs the running (or last) copy has copied",
         b.copy_ssts_done);
  Single(&out, "cairn_backup_copy_ssts_total", "gauge", "SSTs the running (or last) copy copies",
         b.copy_ssts_total);
  Single(&out, "cairn_backup_copy_bytes_done", "gauge", "bytes the running (or last) copy has read",
         b.copy_bytes_done);
  Single(&out, "cairn_backup_copy_bytes_total", "gauge", "bytes the running (or last) copy copies",
         b.copy_bytes_total);
  Single(&out, "cairn_backup_copied_bytes_total", "counter",
         "SST bytes copied into backup storage by backup jobs", b.copied_bytes);
  Single(&out, "cairn_backup_copied_ssts_total", "counter",
         "SSTs copied into backup storage by backup jobs", b.copied_ssts);
  Single(&out, "cairn_backup_last_added_bytes", "gauge",
         "SST bytes the last self-contained backup added to backup storage",
         b.last_copy_added_bytes);
  Single(&out, "cairn_changelog_archived_seq", "gauge", "last changelog seq in backup storage",
         a.archived_seq);
  Single(&out, "cairn_changelog_archive_lag_records", "gauge", "changelog records not archived",
         a.lag_records);
  Single(&out, "cairn_changelog_archive_lag_seconds", "gauge",
         "upper bound on the age of the oldest unarchived record", a.lag_seconds);
  Single(&out, "cairn_changelog_archive_failures_total", "counter", "failed archiver passes",
         a.failures);
  Single(&out, "cairn_changelog_archive_failing", "gauge", "1 while archiver passes fail",
         a.failing ? 1 : 0);
  Single(&out, "cairn_changelog_backlog_records", "gauge",
         "changelog records committed and not archived, as the write limit counts them",
         a.backlog_records);
  Single(&out, "cairn_changelog_backlog_limit_records", "gauge",
         "backlog past which writes are refused (0 = no limit)", a.max_backlog_records);
  return out;
}

std::string RenderSchedulerMetrics(const BackupSchedulerState& b, const VacuumSchedulerStats& v,
                                   const LiveValues& p) {
  std::string out;
  Single(&out, "cairn_backup_schedule_interval_seconds", "gauge",
         "backup schedule interval (0 = no schedule)",
         b.schedule ? b.schedule->every_ms / 1000.0 : 0.0);
  Single(&out, "cairn_backup_schedule_next_due_timestamp_seconds", "gauge",
         "when the next scheduled backup is due (0 = no schedule)", b.next_due_ms / 1000.0);
  Single(&out, "cairn_backup_last_success_timestamp_seconds", "gauge",
         "creation time of the newest scheduled backup (0 = none)", b.last_success_ms / 1000.0);
  Single(&out, "cairn_backup_schedule_runs_total", "counter", "scheduled backup runs", b.runs);
  Single(&out, "cairn_backup_schedule_failures_total", "counter",
         "scheduled backup runs that failed (backup or retention)", b.failures);
  Single(&out, "cairn_vacuum_interval_seconds", "gauge", "background vacuum interval (0 = off)",
         p.vacuum_interval_ms / 1000.0);
  Single(&out, "cairn_vacuum_runs_total", "counter", "background vacuum runs", v.runs);
  Single(&out, "cairn_vacuum_failures_total", "counter", "background vacuum runs that failed",
         v.failures);
  Single(&out, "cairn_vacuum_last_success_timestamp_seconds", "gauge",
         "end of the last successful background vacuum (0 = none)", v.last_success_ms / 1000.0);
  Single(&out, "cairn_checkpoint_interval_seconds", "gauge", "checkpoint_interval in force",
         p.checkpoint_interval_ms / 1000.0);
  Single(&out, "cairn_pitr_retention_seconds", "gauge", "pitr_retention in force",
         p.pitr_retention_ms / 1000.0);
  return out;
}

}  // namespace cairn::server
