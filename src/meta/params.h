// System params (design.md §1, category 4): a fixed set of named settings stored under
// param/<name>. An unset param reads as its default; every Set validates the value and
// goes through MetaWriter so it lands in the changelog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "meta/meta_writer.h"

namespace cairn {

struct ParamValue {
  std::string name;
  std::string value;
  bool is_default = false;  // not set explicitly; `value` is the default
};

// The names cairn knows, in display order.
const std::vector<std::string>& SystemParamNames();

// InvalidArgument naming the param when the name is unknown or the value is invalid.
// Durations must lie in the param's range (docs/cli.md, "Params"): checkpoint_interval
// 10ms .. 1h, pitr_retention and vacuum_min_age 0 .. 3650d, vacuum_interval 0 (off) or
// 1s .. 30d.
Status ValidateParam(std::string_view name, std::string_view value);

class SystemParams {
 public:
  explicit SystemParams(MetaWriter* writer) : writer_(writer) {}

  Result<ParamValue> Get(std::string_view name);
  Status Set(std::string_view name, std::string_view value);
  Result<std::vector<ParamValue>> List();

  // A duration-valued param in milliseconds (checkpoint_interval, pitr_retention, ...),
  // clamped to its range (a value stored before the ranges existed is logged and
  // clamped, never an error).
  Result<int64_t> GetDurationMs(std::string_view name);

 private:
  MetaWriter* const writer_;
};

}  // namespace cairn
