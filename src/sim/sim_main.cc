// cairn-sim: deterministic simulation of cairn under faults and operator actions.
//   cairn-sim --seed S [--steps N]        one seed, with its configuration and coverage
//   cairn-sim --seeds A..B [--steps N]    a range (reports only the seeds that fail)
// Exit 0 when every invariant held, 1 on any violation (or, for a range of at least
// 1000 seeds, when a fault kind or operator action never fired), 2 for usage errors.
// The last line is always "N seeds, M violations". docs/simulation.md has the details.
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "sim/coverage.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

using cairn::sim::Coverage;
using cairn::sim::SeedResult;
using cairn::sim::SimOptions;

namespace {

constexpr uint64_t kCoverageGateSeeds = 1000;

std::vector<SeedResult> RunRange(const SimOptions& options) {
  uint64_t count = options.last_seed - options.first_seed + 1;
  std::vector<SeedResult> results(count);
  int jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<int>(std::min<uint64_t>(jobs, count));
  std::atomic<uint64_t> next{0};
  auto work = [&] {
    for (uint64_t i = next++; i < count; i = next++) {
      results[i] = cairn::sim::RunSeed(options.first_seed + i, options);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);  // the engine's logs are not part of the output
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = cairn::sim::ParseSimOptions(args);
  if (!parsed.ok()) {
    std::cerr << "error: " << parsed.status().message() << "\n" << cairn::sim::SimUsage();
    return 2;
  }
  const SimOptions& options = *parsed;
  std::vector<SeedResult> results = RunRange(options);

  Coverage total;
  std::map<std::string, uint64_t> seeds_seeing;
  uint64_t violations = 0;
  std::string out;
  for (const SeedResult& r : results) {
    total.Merge(r.coverage);
    for (const auto& [name, n] : r.coverage.counts()) seeds_seeing[name]++;
    if (!options.range) out += r.details;
    if (r.violation) {
      ++violations;
      out += r.report;
    }
  }
  bool coverage_failed = false;
  if (options.range) {
    out += "coverage over " + std::to_string(results.size()) + " seeds (" +
           std::to_string(options.steps) + " steps each):\n" + total.Format(&seeds_seeing);
    if (results.size() >= kCoverageGateSeeds) {
      for (const std::string& kind : cairn::sim::RequiredCoverage()) {
        if (total.Get(kind) == 0) {
          out += "coverage failure: " + kind + " never fired in " + std::to_string(results.size()) +
                 " seeds\n";
          coverage_failed = true;
        }
      }
    }
  } else {
    out += "coverage:\n" + total.Format();
  }
  out += std::to_string(results.size()) + " seeds, " + std::to_string(violations) + " violations\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return violations > 0 || coverage_failed ? 1 : 0;
}
