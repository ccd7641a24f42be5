#include "backup/schedule_store.h"
#include "meta/duration.h"
#include "server/api_json.h"
#include "server/api_routes.h"

namespace cairn::server {
namespace {

using nlohmann::json;

json ScheduleJson(const BackupSchedule& s) {
  return {{"every", FormatDurationMs(s.every_ms)},
          {"every_ms", s.every_ms},
          {"keep_last", s.keep_last},
          {"keep_hourly", s.keep_hourly},
          {"keep_daily", s.keep_daily},
          {"keep_weekly", s.keep_weekly},
          {"set", TimeJson(s.set_ms)},
          {"set_ms", s.set_ms}};
}

json RunJson(const ScheduleRun& r) {
  json out = {{"started", TimeJson(r.started_ms)},
              {"started_ms", r.started_ms},
              {"duration_ms", r.duration_ms},
              {"ok", r.ok},
              {"backup_id", r.backup_id ? json(r.backup_id) : json(nullptr)},
              {"expired", r.expired}};
  if (!r.ok) out["error"] = r.error;
  return out;
}

// The stored schedule (null when none) and what the scheduler has done since the
// server started. next_due is given only once the scheduler has seen the stored
// schedule (a change made just now is picked up at its next round).
HttpResponse Schedule(const ApiEnv& env) {
  if (env.scheduler == nullptr) {
    return JsonError(
        Status::Busy("this server has no backup storage (start it with --backup-storage URL)"));
  }
  auto schedule = LoadBackupSchedule(env.writer->store());
  if (!schedule.ok()) return JsonError(schedule.status());
  BackupSchedulerState state = env.scheduler->state();
  bool seen = *schedule && state.schedule == *schedule;
  json out = {{"schedule", *schedule ? ScheduleJson(**schedule) : json(nullptr)},
              {"next_due", seen ? TimeJson(state.next_due_ms) : json(nullptr)},
              {"next_due_ms", seen ? json(state.next_due_ms) : json(nullptr)},
              {"last_run", state.last_run ? RunJson(*state.last_run) : json(nullptr)},
              {"last_success", TimeJson(state.last_success_ms)},
              {"last_success_ms", state.last_success_ms},
              {"runs", state.runs},
              {"failures", state.failures}};
  return JsonResponse(out);
}

}  // namespace

void AddScheduleRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router) {
  router->Add("GET", "/api/v1/schedule",
              auth.Guard([env](const HttpRequest&) { return Schedule(env); }, false));
}

}  // namespace cairn::server
