// Command line of cairn-sim (docs/simulation.md, "Interface"):
//   cairn-sim --seed S [--steps N] | cairn-sim --seeds A..B [--steps N]
// plus options for tests and long runs (--jobs, --inject-bug, --verbose).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace cairn::sim {

// Bugs the simulator can plant in the system under test, to prove that it catches them.
enum class InjectedBug {
  kNone,
  // Vacuum runs with every backup pin removed from the meta store (put back after it),
  // as if the deletion gate skipped the pin check.
  kVacuumIgnoresPins,
  // The object store silently loses one SST that a listed backup references.
  kLoseObject,
};

struct SimOptions {
  uint64_t first_seed = 1;
  uint64_t last_seed = 1;
  bool range = false;  // --seeds A..B (a range run prints per-seed lines only on failure)
  int steps = 300;
  int jobs = 0;          // worker threads for a range; 0 = one per core
  bool verbose = false;  // single seed: print every action
  InjectedBug bug = InjectedBug::kNone;
};

inline constexpr int kDefaultSteps = 300;

// InvalidArgument with a one-line reason for a usage error.
Result<SimOptions> ParseSimOptions(const std::vector<std::string>& args);

std::string SimUsage();

const char* InjectedBugName(InjectedBug bug);

}  // namespace cairn::sim
