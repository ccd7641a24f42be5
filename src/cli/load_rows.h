// The rows `cairn load` writes, so tests and benchmarks can regenerate them.
#pragma once

#include <cstdint>
#include <string>

#include "common/random.h"

namespace cairn::cli {

// "k" + 10 digits: keys sort in row order.
inline std::string LoadKey(uint64_t row) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%010llu", static_cast<unsigned long long>(row));
  return buf;
}

// `size` printable bytes determined by (seed, row).
inline std::string LoadValue(uint64_t seed, uint64_t row, uint64_t size) {
  Random random(seed * 0x9E3779B97F4A7C15ull + row);
  return random.Bytes(size);
}

}  // namespace cairn::cli
