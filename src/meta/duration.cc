#include "meta/duration.h"

#include <charconv>
#include <limits>

namespace cairn {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ms;
};

// Longest suffixes first so "ms" is not read as "m" + garbage.
constexpr Unit kUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
};

Status Invalid(std::string_view text) {
  return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                 "': expected 0 or a non-negative integer with a unit "
                                 "ms, s, m, h or d (e.g. 500ms, 30s, 6h, 7d)");
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  if (text == "0") return int64_t{0};
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return Invalid(text);
  std::string_view suffix = text.substr(digits);
  for (const Unit& unit : kUnits) {
    if (suffix != unit.suffix) continue;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec != std::errc() || n > std::numeric_limits<int64_t>::max() / unit.ms) {
      return Status::InvalidArgument("invalid duration '" + std::string(text) + "': too large");
    }
    return n * unit.ms;
  }
  return Invalid(text);
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0";
  for (int i = static_cast<int>(std::size(kUnits)) - 1; i > 0; --i) {
    if (ms % kUnits[i].ms == 0)
      return std::to_string(ms / kUnits[i].ms) + std::string(kUnits[i].suffix);
  }
  return std::to_string(ms) + "ms";
}

}  // namespace cairn
