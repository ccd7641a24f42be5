#include "server/api_json.h"

#include <charconv>

#include "meta/time_spec.h"

namespace cairn::server {

HttpResponse JsonResponse(const nlohmann::json& body, int code) {
  return {code, "application/json", body.dump(), {}};
}

HttpResponse JsonError(const Status& status) {
  int code = 500;
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
      code = 400;
      break;
    case ErrorCode::kPermissionDenied:
      code = 403;
      break;
    case ErrorCode::kNotFound:
      code = 404;
      break;
    case ErrorCode::kBusy:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kConflict:
    case ErrorCode::kAborted:
      code = 409;
      break;
    default:
      break;
  }
  return JsonResponse({{"error", status.message()}}, code);
}

Result<nlohmann::json> JsonBody(const HttpRequest& request) {
  if (request.body.empty()) return nlohmann::json::object();
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::InvalidArgument("the request body is not a JSON object");
  }
  return body;
}

Result<uint64_t> IdParam(const HttpRequest& request, const std::string& name) {
  auto it = request.params.find(name);
  uint64_t id = 0;
  if (it != request.params.end()) {
    const std::string& text = it->second;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec == std::errc() && ptr == text.data() + text.size()) return id;
  }
  return Status::InvalidArgument(name + " must be a non-negative integer");
}

nlohmann::json TimeJson(int64_t ms) {
  if (ms == 0) return nullptr;
  return FormatRfc3339Millis(ms);
}

nlohmann::json ToJson(const SnapshotEntry& e) {
  return {{"id", e.id},
          {"created_ms", e.created_ms},
          {"created", TimeJson(e.created_ms)},
          {"timeline", e.timeline},
          {"epoch", e.epoch},
          {"changelog_seq", e.changelog_seq},
          {"version_id", e.version_id},
          {"sst_count", e.sst_count},
          {"sst_bytes", e.sst_bytes},
          {"file", e.file},
          {"file_size", e.file_size},
          {"remarks", e.remarks},
          {"cluster_id", e.cluster_id},
          {"self_contained", e.self_contained()},
          {"copy_bytes", e.copy.bytes},
          {"added_ssts", e.copy.added_ssts},
          {"added_bytes", e.copy.added_bytes}};
}

nlohmann::json ToJson(const VerifyState& state) {
  nlohmann::json out = {{"ok", state.ok}, {"deep", state.deep}, {"at", TimeJson(state.at_ms)}};
  if (!state.ok) out["error"] = state.error;
  return out;
}

nlohmann::json ToJson(const VacuumReport& r) {
  return {{"stale_candidates", r.stale_candidates},
          {"deleted", r.deleted},
          {"deleted_bytes", r.deleted_bytes},
          {"kept_by_gate", r.kept_by_gate},
          {"orphans", r.orphans}};
}

nlohmann::json ToJson(const TimelineRange& t) {
  const RecoverableRange& r = t.range;
  nlohmann::json out = {{"timeline", t.timeline},
                        {"parent", t.parent},
                        {"branch_seq", t.branch_seq},
                        {"branch_ms", t.branch_ms},
                        {"branch_time", TimeJson(t.branch_ms)},
                        {"restore", t.restore},
                        {"recoverable", !r.empty},
                        {"clamped_by_retention", r.clamped_by_retention},
                        {"gaps", r.gaps}};
  if (!r.empty) {
    out["from_ms"] = r.from_ms;
    out["to_ms"] = r.to_ms;
    out["from"] = TimeJson(r.from_ms);
    out["to"] = TimeJson(r.to_ms);
    out["from_epoch"] = r.from_epoch;
    out["to_epoch"] = r.to_epoch;
  }
  return out;
}

}  // namespace cairn::server
