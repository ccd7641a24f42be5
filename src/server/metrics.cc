#include "server/metrics.h"

#include <fmt/format.h>

namespace cairn::server {
namespace {

void Metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
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
  Metric(&out, "cairn_checkpoint_last_duration_ms", "gauge",
         "duration of the last checkpoint (seal, upload, meta commit)");
  out += fmt::format("cairn_checkpoint_last_duration_ms {}\n", s.last_checkpoint_ms);
  Metric(&out, "cairn_checkpoints_total", "counter", "checkpoints committed");
  out += fmt::format("cairn_checkpoints_total {}\n", s.checkpoints);
  Metric(&out, "cairn_committed_epoch", "gauge", "max committed epoch");
  out += fmt::format("cairn_committed_epoch {}\n", s.committed_epoch);
  Metric(&out, "cairn_version_id", "gauge", "current storage version id");
  out += fmt::format("cairn_version_id {}\n", s.version_id);
  Metric(&out, "cairn_changelog_seq", "gauge", "seq of the last metadata changelog record");
  out += fmt::format("cairn_changelog_seq {}\n", changelog_seq);
  Metric(&out, "cairn_sst_count", "gauge", "SSTs per LSM level");
  for (const LevelStats& l : s.levels) {
    out += fmt::format("cairn_sst_count{{level=\"{}\"}} {}\n", l.level, l.sst_count);
  }
  Metric(&out, "cairn_sst_bytes", "gauge", "SST bytes per LSM level");
  for (const LevelStats& l : s.levels) {
    out += fmt::format("cairn_sst_bytes{{level=\"{}\"}} {}\n", l.level, l.bytes);
  }
  Metric(&out, "cairn_compactions_total", "counter", "compactions committed");
  out += fmt::format("cairn_compactions_total {}\n", s.compactions);
  Metric(&out, "cairn_vacuum_deleted_objects_total", "counter", "objects deleted by vacuum");
  out += fmt::format("cairn_vacuum_deleted_objects_total {}\n", s.vacuum_deleted);

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
  Metric(&out, "cairn_backup_last_duration_ms", "gauge", "duration of the last backup job");
  out += fmt::format("cairn_backup_last_duration_ms {}\n", b.last_duration_ms);
  Metric(&out, "cairn_backup_last_snapshot_bytes", "gauge", "size of the last snapshot file");
  out += fmt::format("cairn_backup_last_snapshot_bytes {}\n", b.last_snapshot_bytes);
  Metric(&out, "cairn_backup_pinned_ssts", "gauge", "SSTs referenced by the last backup");
  out += fmt::format("cairn_backup_pinned_ssts {}\n", b.last_sst_count);
  Metric(&out, "cairn_changelog_archived_seq", "gauge", "last changelog seq in backup storage");
  out += fmt::format("cairn_changelog_archived_seq {}\n", a.archived_seq);
  Metric(&out, "cairn_changelog_archive_lag_records", "gauge", "changelog records not archived");
  out += fmt::format("cairn_changelog_archive_lag_records {}\n", a.lag_records);
  Metric(&out, "cairn_changelog_archive_lag_seconds", "gauge",
         "upper bound on the age of the oldest unarchived record");
  out += fmt::format("cairn_changelog_archive_lag_seconds {}\n", a.lag_seconds);
  Metric(&out, "cairn_changelog_archive_failures_total", "counter", "failed archiver passes");
  out += fmt::format("cairn_changelog_archive_failures_total {}\n", a.failures);
  return out;
}

}  // namespace cairn::server
