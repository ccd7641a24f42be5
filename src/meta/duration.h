// Durations as operators write them in params and flags: "0", "500ms", "30s", "6h", "7d".
// One integer and one unit, no mixing ("1h30m" is rejected), so a value reads back
// exactly as it was written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

// Milliseconds for `text`; InvalidArgument quoting the text and the accepted forms.
Result<int64_t> ParseDurationMs(std::string_view text);

// The shortest exact form of `ms`: 0, 500ms, 30s, 6h, 7d (minutes as "m").
std::string FormatDurationMs(int64_t ms);

}  // namespace cairn
