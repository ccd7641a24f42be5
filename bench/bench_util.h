// Helpers shared by the benchmarks: a benchmark that hits an error reports it on one
// line and exits, it never prints numbers measured on a broken run.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
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

// The KEY=VALUE lines of an env file (scripts/test-servers.sh writes one).
inline std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Die("cannot read env file " + path);
  std::map<std::string, std::string> env;
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

template <typename T>
T Must(Result<T> r, std::string_view what) {
  Check(r.status(), what);
  return std::move(r).value();
}

}  // namespace cairn::bench
