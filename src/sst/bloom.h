// Bloom filter over the user parts (table id + user key) of an SST, so a point read
// skips SSTs that cannot hold the key. Double hashing of one xxhash64 per key.
// Layout: bit array | 1 byte probe count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::sst {

class BloomBuilder {
 public:
  explicit BloomBuilder(int bits_per_key = 10) : bits_per_key_(bits_per_key) {}
  void AddKey(std::string_view user_part);
  std::string Finish() const;

 private:
  int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

// False only when the key is certainly absent; a malformed filter says "maybe".
bool BloomMayContain(std::string_view filter, std::string_view user_part);

}  // namespace cairn::sst
