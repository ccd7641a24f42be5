#include "sim/sim_options.h"

#include <charconv>

namespace cairn::sim {
namespace {

bool ParseU64(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Status Usage(const std::string& why) { return Status::InvalidArgument(why); }

}  // namespace

const char* InjectedBugName(InjectedBug bug) {
  switch (bug) {
    case InjectedBug::kNone:
      return "none";
    case InjectedBug::kVacuumIgnoresPins:
      return "vacuum-ignores-pins";
    case InjectedBug::kLoseObject:
      return "lose-object";
  }
  return "none";
}

std::string SimUsage() {
  return "usage: cairn-sim --seed S [--steps N]\n"
         "       cairn-sim --seeds A..B [--steps N] [--jobs J]\n"
         "options: --verbose (single seed: print every action), --jobs J,\n"
         "         --inject-bug vacuum-ignores-pins|lose-object\n";
}

Result<SimOptions> ParseSimOptions(const std::vector<std::string>& args) {
  SimOptions options;
  options.steps = kDefaultSteps;
  bool have_seed = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* out) -> Status {
      if (i + 1 >= args.size()) return Usage(arg + " needs a value");
      *out = args[++i];
      return Status::OK();
    };
    std::string v;
    if (arg == "--seed") {
      CAIRN_RETURN_IF_ERROR(value(&v));
      if (!ParseU64(v, &options.first_seed)) return Usage("--seed: not a number: " + v);
      options.last_seed = options.first_seed;
      options.range = false;
      have_seed = true;
    } else if (arg == "--seeds") {
      CAIRN_RETURN_IF_ERROR(value(&v));
      size_t dots = v.find("..");
      if (dots == std::string::npos || !ParseU64(v.substr(0, dots), &options.first_seed) ||
          !ParseU64(v.substr(dots + 2), &options.last_seed) ||
          options.last_seed < options.first_seed) {
        return Usage("--seeds: expected A..B with A <= B, got " + v);
      }
      options.range = true;
      have_seed = true;
    } else if (arg == "--steps") {
      CAIRN_RETURN_IF_ERROR(value(&v));
      uint64_t steps = 0;
      if (!ParseU64(v, &steps) || steps == 0 || steps > 1'000'000) {
        return Usage("--steps: expected 1..1000000, got " + v);
      }
      options.steps = static_cast<int>(steps);
    } else if (arg == "--jobs") {
      CAIRN_RETURN_IF_ERROR(value(&v));
      uint64_t jobs = 0;
      if (!ParseU64(v, &jobs) || jobs == 0 || jobs > 256) {
        return Usage("--jobs: expected 1..256, got " + v);
      }
      options.jobs = static_cast<int>(jobs);
    } else if (arg == "--inject-bug") {
      CAIRN_RETURN_IF_ERROR(value(&v));
      if (v == "vacuum-ignores-pins") {
        options.bug = InjectedBug::kVacuumIgnoresPins;
      } else if (v == "lose-object") {
        options.bug = InjectedBug::kLoseObject;
      } else {
        return Usage("--inject-bug: unknown bug " + v);
      }
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else {
      return Usage("unknown argument " + arg);
    }
  }
  if (!have_seed) return Usage("--seed S or --seeds A..B is required");
  return options;
}

}  // namespace cairn::sim
