#include "common/logging.h"
#include "server/api_json.h"
#include "server/api_routes.h"

namespace cairn::server {
namespace {

using nlohmann::json;

Status Configured(const ApiEnv& env) {
  if (env.backups != nullptr) return Status::OK();
  return Status::Busy("this server has no backup storage (start it with --backup-storage URL)");
}

json EntryJson(const ApiEnv& env, const SnapshotEntry& entry) {
  json out = ToJson(entry);
  auto verify = env.activity->LastVerify(entry.id);
  out["verify"] = verify ? ToJson(*verify) : json(nullptr);
  return out;
}

// The listed backup `id`: NotFound ("backup N does not exist") when it is not listed.
Result<SnapshotEntry> Listed(const ApiEnv& env, const HttpRequest& request) {
  CAIRN_RETURN_IF_ERROR(Configured(env));
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, IdParam(request, "id"));
  return env.backups->Show(id);
}

HttpResponse List(const ApiEnv& env) {
  if (Status s = Configured(env); !s.ok()) return JsonError(s);
  auto manifest = env.backups->List();
  // A backup storage no backup was written to yet lists none.
  if (!manifest.ok() && !manifest.status().IsNotFound()) return JsonError(manifest.status());
  json backups = json::array();
  if (manifest.ok()) {
    for (const SnapshotEntry& e : manifest->snapshots) backups.push_back(EntryJson(env, e));
  }
  // The running (or last) --copy-data job's copy.
  BackupMetrics m = env.backups->metrics();
  json copy = {{"copying", m.copy_running},
               {"ssts_done", m.copy_ssts_done},
               {"ssts_total", m.copy_ssts_total},
               {"bytes_done", m.copy_bytes_done},
               {"bytes_total", m.copy_bytes_total}};
  return JsonResponse({{"backup_storage", env.backup_storage->DescribeForLog()},
                       {"backups", backups},
                       {"copy", copy}});
}

HttpResponse Show(const ApiEnv& env, const HttpRequest& request) {
  auto entry = Listed(env, request);
  if (!entry.ok()) return JsonError(entry.status());
  return JsonResponse(EntryJson(env, *entry));
}

HttpResponse Create(const ApiEnv& env, const HttpRequest& request) {
  if (Status s = Configured(env); !s.ok()) return JsonError(s);
  auto body = JsonBody(request);
  if (!body.ok()) return JsonError(body.status());
  auto remarks = body->find("remarks");
  if (remarks != body->end() && !remarks->is_string()) {
    return JsonError(Status::InvalidArgument("remarks must be a string"));
  }
  auto copy_data = body->find("copy_data");
  if (copy_data != body->end() && !copy_data->is_boolean()) {
    return JsonError(Status::InvalidArgument("copy_data must be true or false"));
  }
  if (Status fence = env.writer->CheckFence(); !fence.ok()) return JsonError(fence);
  auto entry =
      env.backups->Create(remarks == body->end() ? "" : remarks->get<std::string>(),
                          {.copy_data = copy_data != body->end() && copy_data->get<bool>()});
  if (!entry.ok()) return JsonError(entry.status());
  CAIRN_LOG_INFO("HTTP backup create: backup {}", entry->id);
  return JsonResponse(EntryJson(env, *entry), 201);
}

// A verify that ran is a result either way: 200 with "ok", recorded for the list.
HttpResponse Verify(const ApiEnv& env, const HttpRequest& request) {
  auto entry = Listed(env, request);
  if (!entry.ok()) return JsonError(entry.status());
  auto body = JsonBody(request);
  if (!body.ok()) return JsonError(body.status());
  bool deep = body->value("deep", false);
  auto report = env.backups->Verify(entry->id, deep);
  VerifyState state{report.ok(), deep, env.clock->NowMillis(),
                    report.ok() ? "" : report.status().message()};
  env.activity->RecordVerify(entry->id, state);
  json out = ToJson(state);
  out["id"] = entry->id;
  if (report.ok()) {
    out["records"] = report->records;
    out["sst_count"] = report->sst_count;
    out["ssts_checked"] = report->ssts_checked;
    out["bytes_read"] = report->bytes_read;
  }
  return JsonResponse(out);
}

HttpResponse Delete(const ApiEnv& env, const HttpRequest& request) {
  auto entry = Listed(env, request);
  if (!entry.ok()) return JsonError(entry.status());
  if (Status fence = env.writer->CheckFence(); !fence.ok()) return JsonError(fence);
  if (Status s = env.backups->Delete(entry->id); !s.ok()) return JsonError(s);
  env.activity->ForgetBackup(entry->id);
  CAIRN_LOG_INFO("HTTP backup delete: backup {}", entry->id);
  return JsonResponse({{"deleted", entry->id}});
}

}  // namespace

void AddBackupRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router) {
  router->Add("GET", "/api/v1/backups",
              auth.Guard([env](const HttpRequest&) { return List(env); }, false));
  router->Add("POST", "/api/v1/backups",
              auth.Guard([env](const HttpRequest& r) { return Create(env, r); }, false));
  router->Add("GET", "/api/v1/backups/{id}",
              auth.Guard([env](const HttpRequest& r) { return Show(env, r); }, false));
  router->Add("DELETE", "/api/v1/backups/{id}",
              auth.Guard([env](const HttpRequest& r) { return Delete(env, r); }, false));
  router->Add("POST", "/api/v1/backups/{id}/verify",
              auth.Guard([env](const HttpRequest& r) { return Verify(env, r); }, false));
}

}  // namespace cairn::server
