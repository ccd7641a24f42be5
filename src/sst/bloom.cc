#include "sst/bloom.h"

#include <xxhash.h>

#include <algorithm>

namespace cairn::sst {
namespace {

uint64_t BloomHash(std::string_view key) { return XXH64(key.data(), key.size(), 0x6361726eu); }

}  // namespace

void BloomBuilder::AddKey(std::string_view user_part) { hashes_.push_back(BloomHash(user_part)); }

std::string BloomBuilder::Finish() const {
  // k = bits_per_key * ln 2 minimises the false-positive rate.
  int k = std::clamp(static_cast<int>(bits_per_key_ * 0.69), 1, 30);
  size_t bits = std::max<size_t>(64, hashes_.size() * bits_per_key_);
  size_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string filter(bytes, '\0');
  for (uint64_t h : hashes_) {
    uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
    for (int i = 0; i < k; ++i) {
      uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
      filter[bit / 8] |= static_cast<char>(1 << (bit % 8));
    }
  }
  filter.push_back(static_cast<char>(k));
  return filter;
}

bool BloomMayContain(std::string_view filter, std::string_view user_part) {
  if (filter.size() < 2) return true;
  int k = static_cast<uint8_t>(filter.back());
  if (k < 1 || k > 30) return true;
  size_t bits = (filter.size() - 1) * 8;
  uint64_t h = BloomHash(user_part);
  uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
  for (int i = 0; i < k; ++i) {
    uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
    if (!(filter[bit / 8] & (1 << (bit % 8)))) return false;
  }
  return true;
}

}  // namespace cairn::sst
