// Server metrics in the Prometheus text format (docs/server.md lists every name).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "backup/backup_service.h"
#include "backup/changelog_archive.h"
#include "server/backup_scheduler.h"
#include "server/live_params.h"
#include "server/vacuum_scheduler.h"
#include "storage/cluster.h"

namespace cairn::server {

class Metrics {
 public:
  void RecordRpc(const std::string& method, bool ok);

  // The exposition text: RPC counters plus the cluster's stats.
  std::string Render(const ClusterStats& stats, uint64_t changelog_seq);

 private:
  struct RpcCount {
    uint64_t requests = 0;
    uint64_t errors = 0;
  };
  std::mutex mu_;
  std::map<std::string, RpcCount> rpcs_;
};

// Backup job and changelog archiver metrics (docs/server.md).
std::string RenderBackupMetrics(const BackupMetrics& backups, const ArchiverMetrics& archiver);

// The backup schedule, the background vacuum and the live params (docs/server.md).
std::string RenderSchedulerMetrics(const BackupSchedulerState& backups,
                                   const VacuumSchedulerStats& vacuum, const LiveValues& params);

}  // namespace cairn::server
