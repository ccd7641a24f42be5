// Time arguments (`--as-of`, `--to-time`): an RFC 3339 time or a raw epoch number
// (design.md §7), converted to the largest epoch at or before that time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

// Unix milliseconds for an RFC 3339 time: 2026-11-25T14:02:59Z,
// 2026-11-25T14:02:59.250+01:00 (a space instead of 'T' is accepted).
Result<int64_t> ParseRfc3339Millis(std::string_view text);

// "2026-11-25T14:02:59.250Z" (UTC, milliseconds).
std::string FormatRfc3339Millis(int64_t ms);

// An epoch number is returned as is; an RFC 3339 time maps to MaxEpochAtMillis.
Result<uint64_t> ParseTimeSpecToEpoch(std::string_view text);

}  // namespace cairn
