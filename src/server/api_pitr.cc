#include "meta/duration.h"
#include "server/api_json.h"
#include "server/api_routes.h"

namespace cairn::server {
namespace {

using nlohmann::json;

// Every timeline's recoverable range, with the ids of its backups (the marks) and its
// branch point (parent, branch_seq, branch_time).
HttpResponse Timelines(const ApiEnv& env) {
  if (env.backups == nullptr) {
    return JsonError(
        Status::Busy("this server has no backup storage (start it with --backup-storage URL)"));
  }
  auto manifest = env.backups->List();
  if (!manifest.ok() && !manifest.status().IsNotFound()) return JsonError(manifest.status());
  json out = {{"now", TimeJson(env.clock->NowMillis())},
              {"now_ms", env.clock->NowMillis()},
              {"pitr_retention_ms", env.live->pitr_retention_ms()},
              {"timelines", json::array()}};
  if (!manifest.ok() || manifest->snapshots.empty()) return JsonResponse(out);
  BackupStorage storage(env.backup_storage);
  auto timelines = ComputeTimelineRanges(&storage, env.live->checkpoint_interval_ms(), env.clock,
                                         env.live->pitr_retention_ms());
  if (!timelines.ok()) return JsonError(timelines.status());
  for (const TimelineRange& t : *timelines) {
    json timeline = ToJson(t);
    timeline["backups"] = json::array();
    for (const SnapshotEntry& e : manifest->snapshots) {
      if (e.timeline == t.timeline) timeline["backups"].push_back(e.id);
    }
    out["timelines"].push_back(timeline);
  }
  out["newest_timeline"] = timelines->back().timeline;
  return JsonResponse(out);
}

// The archiver's progress. The RPO — what losing the meta store now would lose — is
// bounded by lag_seconds (the age of the oldest record not yet in backup storage).
HttpResponse Archiver(const ApiEnv& env) {
  json out = {{"configured", env.archiver != nullptr},
              {"checkpoint_interval", FormatDurationMs(env.live->checkpoint_interval_ms())},
              {"pitr_retention", FormatDurationMs(env.live->pitr_retention_ms())}};
  if (env.archiver == nullptr) return JsonResponse(out);
  ArchiverMetrics m = env.archiver->metrics();
  out["head_seq"] = m.head_seq;
  out["archived_seq"] = m.archived_seq;
  out["lag_records"] = m.lag_records;
  out["lag_seconds"] = m.lag_seconds;
  out["rpo_seconds"] = m.lag_seconds;
  out["runs"] = m.runs;
  out["failures"] = m.failures;
  out["records_archived"] = m.records_archived;
  out["segments_expired"] = m.segments_expired;
  return JsonResponse(out);
}

}  // namespace

void AddPitrRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router) {
  router->Add("GET", "/api/v1/timelines",
              auth.Guard([env](const HttpRequest&) { return Timelines(env); }, false));
  router->Add("GET", "/api/v1/archiver",
              auth.Guard([env](const HttpRequest&) { return Archiver(env); }, false));
}

}  // namespace cairn::server
