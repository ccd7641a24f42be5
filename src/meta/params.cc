#include "meta/params.h"

#include <algorithm>

#include "common/logging.h"
#include "common/url.h"
#include "meta/duration.h"
#include "meta/keys.h"

namespace cairn {
namespace {

enum class ParamKind { kDuration, kUrlOrEmpty };

constexpr int64_t kDayMs = 86'400'000;

struct ParamSpec {
  std::string_view name;
  std::string_view default_value;
  ParamKind kind;
  int64_t min_ms = 0;  // durations: the documented range (docs/cli.md, "Params")
  int64_t max_ms = 0;
  bool zero_is_off = false;  // "0" is accepted below min_ms and means "off"
};

constexpr ParamSpec kParams[] = {
    {"checkpoint_interval", "1s", ParamKind::kDuration, 10, 3'600'000},
    {"pitr_retention", "0", ParamKind::kDuration, 0, 3650 * kDayMs},
    {"vacuum_min_age", "6h", ParamKind::kDuration, 0, 3650 * kDayMs},
    {"vacuum_interval", "10m", ParamKind::kDuration, 1000, 30 * kDayMs, true},
    {"backup_storage_url", "", ParamKind::kUrlOrEmpty},
};

std::string RangeText(const ParamSpec& spec) {
  return (spec.zero_is_off ? "0 (off) or " : "") + FormatDurationMs(spec.min_ms) + " .. " +
         FormatDurationMs(spec.max_ms);
}

Result<const ParamSpec*> FindSpec(std::string_view name) {
  for (const ParamSpec& spec : kParams) {
    if (spec.name == name) return &spec;
  }
  std::string known;
  for (const ParamSpec& spec : kParams)
    known += (known.empty() ? "" : ", ") + std::string(spec.name);
  return Status::InvalidArgument("unknown param '" + std::string(name) + "' (known: " + known +
                                 ")");
}

// Params are metadata: shown by `param list`, copied into every backup. A secret must
// not get there (S3 keys come from the server's environment).
Status RejectCredentials(std::string_view name, std::string_view value) {
  if (!HasEmbeddedCredentials(value)) return Status::OK();
  return Status::InvalidArgument("invalid value for param " + std::string(name) +
                                 ": it holds a credential, and params are stored in every "
                                 "backup; S3 keys come from AWS_ACCESS_KEY_ID and "
                                 "AWS_SECRET_ACCESS_KEY in the server's environment");
}

}  // namespace

const std::vector<std::string>& SystemParamNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const ParamSpec& spec : kParams) out.emplace_back(spec.name);
    return out;
  }();
  return names;
}

Status ValidateParam(std::string_view name, std::string_view value) {
  CAIRN_ASSIGN_OR_RETURN(const ParamSpec* spec, FindSpec(name));
  CAIRN_RETURN_IF_ERROR(RejectCredentials(name, value));
  auto context = "invalid value for param " + std::string(name);
  switch (spec->kind) {
    case ParamKind::kDuration: {
      auto ms = ParseDurationMs(value);
      if (!ms.ok()) return ms.status().WithContext(context);
      if ((*ms < spec->min_ms && !(spec->zero_is_off && *ms == 0)) || *ms > spec->max_ms) {
        return Status::InvalidArgument(context + ": '" + std::string(value) + "' is out of range " +
                                       RangeText(*spec));
      }
      return Status::OK();
    }
    case ParamKind::kUrlOrEmpty: {
      if (value.empty()) return Status::OK();
      auto url = Url::Parse(value);
      return url.ok() ? Status::OK() : url.status().WithContext(context);
    }
  }
  return Status::OK();
}

Result<ParamValue> SystemParams::Get(std::string_view name) {
  CAIRN_ASSIGN_OR_RETURN(const ParamSpec* spec, FindSpec(name));
  CAIRN_ASSIGN_OR_RETURN(auto kv, writer_->store()->Get(keys::ParamKey(name)));
  if (!kv) return ParamValue{std::string(name), std::string(spec->default_value), true};
  return ParamValue{std::string(name), kv->value, false};
}

Status SystemParams::Set(std::string_view name, std::string_view value) {
  CAIRN_RETURN_IF_ERROR(ValidateParam(name, value));
  Txn txn;
  txn.ops.push_back(Op::Put(keys::ParamKey(name), std::string(value)));
  return writer_->Commit(std::move(txn)).status();
}

Result<std::vector<ParamValue>> SystemParams::List() {
  std::vector<ParamValue> out;
  for (const ParamSpec& spec : kParams) {
    CAIRN_ASSIGN_OR_RETURN(auto value, Get(spec.name));
    out.push_back(std::move(value));
  }
  return out;
}

Result<int64_t> SystemParams::GetDurationMs(std::string_view name) {
  CAIRN_ASSIGN_OR_RETURN(const ParamSpec* spec, FindSpec(name));
  CAIRN_ASSIGN_OR_RETURN(auto param, Get(name));
  auto ms = ParseDurationMs(param.value);
  if (!ms.ok() || spec->kind != ParamKind::kDuration) {
    return Status::Corruption("param " + std::string(name) + " holds an invalid duration '" +
                              param.value + "'");
  }
  if (spec->zero_is_off && *ms == 0) return 0;
  int64_t bounded = std::clamp(*ms, spec->min_ms, spec->max_ms);
  if (bounded != *ms) {
    // Written before the bounds existed (or restored from such a backup): use the bound
    // rather than refuse to start a server that could then never fix it.
    CAIRN_LOG_WARN("param {} = '{}' is out of range {}; using {}", name, param.value,
                   RangeText(*spec), FormatDurationMs(bounded));
  }
  return bounded;
}

}  // namespace cairn
