#include "meta/params.h"

#include "common/url.h"
#include "meta/duration.h"
#include "meta/keys.h"

namespace cairn {
namespace {

enum class ParamKind { kDuration, kPositiveDuration, kUrlOrEmpty };

struct ParamSpec {
  std::string_view name;
  std::string_view default_value;
  ParamKind kind;
};

constexpr ParamSpec kParams[] = {
    {"checkpoint_interval", "1s", ParamKind::kPositiveDuration},
    {"pitr_retention", "0", ParamKind::kDuration},
    {"vacuum_min_age", "6h", ParamKind::kDuration},
    {"backup_storage_url", "", ParamKind::kUrlOrEmpty},
};

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
  auto context = "invalid value for param " + std::string(name);
  switch (spec->kind) {
    case ParamKind::kDuration:
    case ParamKind::kPositiveDuration: {
      auto ms = ParseDurationMs(value);
      if (!ms.ok()) return ms.status().WithContext(context);
      if (spec->kind == ParamKind::kPositiveDuration && *ms == 0) {
        return Status::InvalidArgument(context + ": must be greater than 0");
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
  CAIRN_ASSIGN_OR_RETURN(auto param, Get(name));
  auto ms = ParseDurationMs(param.value);
  if (!ms.ok()) {
    return Status::Corruption("param " + std::string(name) + " holds an invalid duration '" +
                              param.value + "'");
  }
  return *ms;
}

}  // namespace cairn
