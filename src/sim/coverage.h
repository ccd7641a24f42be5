// "Sometimes" coverage: how often each fault kind and operator action fired. Counters
// are kept in name order so that printing them is deterministic. A range run of many
// seeds in which a required kind never fired is a failure of the simulator itself
// (a fault or action that silently stopped happening tests nothing).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cairn::sim {

class Coverage {
 public:
  void Add(const std::string& name, uint64_t n = 1) {
    if (n > 0) counts_[name] += n;
  }
  uint64_t Get(const std::string& name) const;
  void Merge(const Coverage& other);
  const std::map<std::string, uint64_t>& counts() const { return counts_; }

  // "  name  count" lines, in name order; `seeds` (may be null) adds how many seeds
  // saw each kind at least once.
  std::string Format(const std::map<std::string, uint64_t>* seeds = nullptr) const;

 private:
  std::map<std::string, uint64_t> counts_;
};

// The fault kinds and operator actions that every long range run must see fire.
const std::vector<std::string>& RequiredCoverage();

}  // namespace cairn::sim
