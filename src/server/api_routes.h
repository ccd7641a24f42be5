// The JSON API under /api/v1 and the web console at / (docs/api.md), added to an
// HttpRouter. Every route is behind `auth` (HttpAuth::Guard); `auth` must outlive the
// router. Actions (POST, DELETE) check the writer lease like the gRPC mutations.
#pragma once

#include "server/api_auth.h"
#include "server/api_env.h"
#include "server/http_router.h"

namespace cairn::server {

// status, tables, levels, vacuum (api_cluster.cc).
void AddClusterRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router);
// backups: list, show, create, verify, delete (api_backups.cc).
void AddBackupRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router);
// timelines (recoverable ranges) and the archiver's lag (api_pitr.cc).
void AddPitrRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router);
// The backup schedule and the scheduler's last run (api_schedule.cc).
void AddScheduleRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router);
// The console's embedded static files (api_console.cc).
void AddConsoleRoutes(const HttpAuth& auth, HttpRouter* router);

// All of the above.
void AddApiRoutes(const ApiEnv& env, const HttpAuth& auth, HttpRouter* router);

}  // namespace cairn::server
