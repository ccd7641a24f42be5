#include "common/epoch.h"
#include "common/logging.h"
#include "meta/time_spec.h"
#include "server/api_json.h"
#include "server/api_routes.h"
#include "server/clone_status.h"

namespace cairn::server {
namespace {

using nlohmann::json;

HttpResponse StatusJson(const ApiEnv& env) {
  ClusterStats stats = env.cluster->Stats();
  int64_t committed_ms = stats.committed_epoch ? EpochToMillis(stats.committed_epoch) : 0;
  json clones = CloneStatusJson(ReadCloneStatus(env.writer->store(), env.backup_storage));
  json out({{"version", "cairn 0.1.0"},
            {"cluster_id", env.cluster_id},
            {"meta_store", env.meta_store},
            {"object_store", env.object_store},
            {"backup_storage",
             env.backup_storage ? json(env.backup_storage->DescribeForLog()) : json(nullptr)},
            {"grpc_address", env.grpc_address},
            {"http_address", env.http_address},
            {"auth", env.auth},
            {"version_id", stats.version_id},
            {"committed_epoch", stats.committed_epoch},
            {"committed_time", TimeJson(committed_ms)},
            {"changelog_seq", env.writer->last_seq()},
            {"checkpoints", stats.checkpoints},
            {"last_checkpoint_ms", stats.last_checkpoint_ms},
            {"compactions", stats.compactions},
            {"clock_behind_ms", stats.clock_behind_ms},
            {"now", TimeJson(env.clock->NowMillis())}});
  out.update(clones);
  return JsonResponse(out);
}

HttpResponse Tables(const ApiEnv& env) {
  auto tables = env.cluster->ListTables();
  if (!tables.ok()) return JsonError(tables.status());
  json out = json::array();
  for (const TableInfo& t : *tables) {
    out.push_back({{"id", t.id}, {"name", t.name}, {"created_epoch", t.created_epoch}});
  }
  return JsonResponse({{"tables", out}});
}

// As many levels as the engine reports, in its order.
HttpResponse Levels(const ApiEnv& env) {
  ClusterStats stats = env.cluster->Stats();
  json levels = json::array();
  uint64_t ssts = 0, bytes = 0;
  for (const LevelStats& l : stats.levels) {
    levels.push_back({{"level", l.level}, {"sst_count", l.sst_count}, {"bytes", l.bytes}});
    ssts += l.sst_count;
    bytes += l.bytes;
  }
  return JsonResponse({{"levels", levels}, {"sst_count", ssts}, {"bytes", bytes}});
}

json VacuumRunJson(const VacuumRun& run) {
  json out = {
      {"at", TimeJson(run.at_ms)}, {"ok", run.ok}, {"full", run.full}, {"dry_run", run.dry_run}};
  if (run.ok) out["report"] = ToJson(run.report);
  if (!run.ok) out["error"] = run.error;
  return out;
}

HttpResponse VacuumStats(const ApiEnv& env) {
  auto min_age = env.params->Get("vacuum_min_age");
  auto last = env.activity->LastVacuum();
  return JsonResponse({{"deleted_total", env.cluster->Stats().vacuum_deleted},
                       {"vacuum_min_age", min_age.ok() ? json(min_age->value) : json(nullptr)},
                       {"last_run", last ? VacuumRunJson(*last) : json(nullptr)}});
}

HttpResponse RunVacuum(const ApiEnv& env, const HttpRequest& request) {
  auto body = JsonBody(request);
  if (!body.ok()) return JsonError(body.status());
  VacuumOptions options;
  options.full = body->value("full", false);
  options.dry_run = body->value("dry_run", false);
  if (Status fence = env.writer->CheckFence(); !fence.ok()) return JsonError(fence);
  VacuumRun run{env.clock->NowMillis(), false, options.full, options.dry_run, {}, ""};
  auto report = env.cluster->Vacuum(options);
  run.ok = report.ok();
  if (report.ok()) run.report = *report;
  if (!report.ok()) run.error = report.status().message();
  env.activity->RecordVacuum(run);
  CAIRN_LOG_INFO("HTTP vacuum: {}", report.ok() ? "ok" : report.status().ToString());
  if (!report.ok()) return JsonError(report.status());
  return JsonResponse(VacuumRunJson(run));
}

}  // namespace

void AddClusterRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router) {
  router->Add("GET", "/api/v1/status",
              auth.Guard([env](const HttpRequest&) { return StatusJson(env); }, false));
  router->Add("GET", "/api/v1/tables",
              auth.Guard([env](const HttpRequest&) { return Tables(env); }, false));
  router->Add("GET", "/api/v1/levels",
              auth.Guard([env](const HttpRequest&) { return Levels(env); }, false));
  router->Add("GET", "/api/v1/vacuum",
              auth.Guard([env](const HttpRequest&) { return VacuumStats(env); }, false));
  router->Add(
      "POST", "/api/v1/vacuum",
      auth.Guard([env](const HttpRequest& request) { return RunVacuum(env, request); }, false));
}

void AddApiRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router) {
  AddClusterRoutes(env, auth, router);
  AddBackupRoutes(env, auth, router);
  AddPitrRoutes(env, auth, router);
  AddScheduleRoutes(env, auth, router);
  AddConsoleRoutes(auth, router);
}

}  // namespace cairn::server
