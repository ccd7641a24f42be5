// Random: a seeded, reproducible PRNG (splitmix64). Every random choice in cairn
// and its tests draws from an injected Random so a failure replays from its seed.
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  // True with probability `percent`/100.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }
  bool Percent(uint32_t percent) { return Uniform(100) < percent; }
  // `len` random printable bytes.
  std::string Bytes(size_t len) {
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>('a' + Uniform(26));
    return s;
  }

 private:
  uint64_t state_;
};

}  // namespace cairn
