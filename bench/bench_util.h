// Helpers shared by the benchmarks: a benchmark that hits an error reports it on one
// line and exits, it never prints numbers measured on a broken run.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn::bench {

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  std::exit(1);
}

// Dies with "what: status" (or just the status when `what` is empty).
inline void Check(const Status& s, std::string_view what = "") {
  if (s.ok()) return;
  Die(what.empty() ? s.ToString() : std::string(what) + ": " + s.ToString());
}

template <typename T>
T Must(Result<T> r, std::string_view what) {
  Check(r.status(), what);
  return std::move(r).value();
}

}  // namespace cairn::bench
