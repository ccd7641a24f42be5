// Bloom filter over the user parts (table id + user key) of an SST, so a point read
// skips SSTs that cannot hold the key (docs/sst-format.md, "Filter block"). One
// xxhash64 per key. BloomBuilder writes the cache-local layout: the bits of a key all
// lie in one 64-byte line, so a probe costs one cache miss instead of k.
//   cache-local: lines (64 bytes each) | 1 byte probe count k | 1 byte 0xB1
//   classic (older SSTs, still read):   bit array | 1 byte probe count k (1..30)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::sst {

inline constexpr size_t kBloomLineBytes = 64;

enum class BloomLayout { kCacheLocal, kClassic };

class BloomBuilder {
 public:
  // kClassic only to test that filters of older SSTs still read.
  explicit BloomBuilder(int bits_per_key = 10, BloomLayout layout = BloomLayout::kCacheLocal)
      : bits_per_key_(bits_per_key), layout_(layout) {}
  void AddKey(std::string_view user_part);
  std::string Finish() const;

 private:
  std::string FinishClassic() const;

  int bits_per_key_;
  BloomLayout layout_;
  std::vector<uint64_t> hashes_;
};

// The hash a filter is probed with; a point read computes it once for all SSTs.
uint64_t BloomHash(std::string_view user_part);

// False only when the key is certainly absent; a malformed filter says "maybe".
// Either layout; fastest when the filter's data is 64-byte aligned.
bool BloomMayContainHash(std::string_view filter, uint64_t hash);
inline bool BloomMayContain(std::string_view filter, std::string_view user_part) {
  return BloomMayContainHash(filter, BloomHash(user_part));
}

}  // namespace cairn::sst
