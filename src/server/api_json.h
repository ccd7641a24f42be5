// JSON helpers of the API (docs/api.md): responses, errors from a Status, request
// bodies, and the JSON form of the engine's and backups' structs.
#pragma once

#include <nlohmann/json.hpp>

#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "common/status.h"
#include "server/api_activity.h"
#include "server/http_request.h"
#include "storage/cluster.h"

namespace cairn::server {

HttpResponse JsonResponse(const nlohmann::json& body, int code = 200);

// {"error": message} with the HTTP code for the status' code: 400 invalid argument,
// 403 permission denied, 404 not found, 409 busy/precondition/conflict, 500 others.
HttpResponse JsonError(const Status& status);

// The request body as a JSON object ("" = {}); InvalidArgument when it is not one.
Result<nlohmann::json> JsonBody(const HttpRequest& request);

// A non-negative integer path parameter; InvalidArgument naming it otherwise.
Result<uint64_t> IdParam(const HttpRequest& request, const std::string& name);

nlohmann::json ToJson(const SnapshotEntry& entry);
nlohmann::json ToJson(const VerifyState& state);
nlohmann::json ToJson(const VacuumReport& report);
nlohmann::json ToJson(const TimelineRange& timeline);

// RFC 3339 with milliseconds, or null for 0.
nlohmann::json TimeJson(int64_t ms);

}  // namespace cairn::server
