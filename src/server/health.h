// What `GET /healthz` answers (docs/server.md, "Health"): 200 and "ok" while the writer
// lease is held and no background work is failing; else 503 and "unhealthy", each
// followed by one line per check: lease, checkpoint, compaction, archiver (when backup
// storage is configured), e.g.
//   checkpoint: failing for 12 s (7 in a row): IOError: etcd://...: timed out
#pragma once

#include <cstdint>
#include <string>

#include "backup/changelog_archive.h"
#include "common/failure_log.h"
#include "common/status.h"

namespace cairn::server {

struct HealthInput {
  Status lease;  // WriterLease::Check()
  FailureState checkpoint;
  FailureState compaction;
  bool archiving = false;  // backup storage configured
  ArchiverMetrics archiver;
  // The archiver's backlog check (OK when no limit is reached or there is no archiver).
  Status backlog;
};

struct Health {
  int http_status = 200;
  std::string body;
};

Health ComputeHealth(const HealthInput& input, int64_t now_ms);

}  // namespace cairn::server
