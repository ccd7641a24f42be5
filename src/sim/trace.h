// The trace of a seed: every action with its outcome, of which a violation report
// prints the tail. Deterministic text only (no addresses, no wall clock).
#pragma once

#include <cstdint>
#include <deque>
#include <string>

namespace cairn::sim {

class Trace {
 public:
  explicit Trace(size_t keep = 20) : keep_(keep) {}

  void Add(int step, const std::string& line);
  // The last `keep` lines, one per line, indented.
  std::string Tail() const;
  // Every line when `verbose` was set (for --verbose).
  void set_verbose(bool verbose) { verbose_ = verbose; }
  const std::string& all() const { return all_; }

 private:
  size_t keep_;
  bool verbose_ = false;
  std::deque<std::string> tail_;
  std::string all_;
};

// "IOError: injected fault: ..." shortened to one line of at most `max` bytes.
std::string Short(const std::string& text, size_t max = 160);

}  // namespace cairn::sim
