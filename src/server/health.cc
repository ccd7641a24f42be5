#include "server/health.h"

#include <vector>

namespace cairn::server {
namespace {

std::string Failing(const FailureState& f, int64_t now_ms) {
  return "failing for " + std::to_string((now_ms - f.since_ms) / 1000) + " s (" +
         std::to_string(f.consecutive) + " in a row): " + f.last_error;
}

}  // namespace

Health ComputeHealth(const HealthInput& in, int64_t now_ms) {
  std::vector<std::string> lines;
  bool ok = true;
  auto check = [&](const char* name, bool healthy, const std::string& detail) {
    ok = ok && healthy;
    lines.push_back(std::string(name) + ": " + (healthy ? "ok" : detail));
  };
  check("lease", in.lease.ok(), "lost: " + in.lease.ToString());
  check("checkpoint", in.checkpoint.consecutive == 0, Failing(in.checkpoint, now_ms));
  check("compaction", in.compaction.consecutive == 0, Failing(in.compaction, now_ms));
  if (in.archiving) {
    const ArchiverMetrics& a = in.archiver;
    std::string detail = "failing for " + std::to_string((now_ms - a.failing_since_ms) / 1000) +
                         " s, " + std::to_string(a.backlog_records) + " records not archived";
    if (!in.backlog.ok()) detail += "; " + in.backlog.message();
    check("archiver", !a.failing && in.backlog.ok(), detail);
  }
  Health health;
  health.http_status = ok ? 200 : 503;
  health.body = ok ? "ok\n" : "unhealthy\n";
  for (const auto& line : lines) health.body += line + "\n";
  return health;
}

}  // namespace cairn::server
