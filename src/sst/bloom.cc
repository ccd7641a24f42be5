#include "sst/bloom.h"

#include <xxhash.h>

#include <algorithm>

namespace cairn::sst {
namespace {

constexpr uint8_t kCacheLocalTag = 0xB1;
constexpr uint32_t kLineBits = kBloomLineBytes * 8;

int ProbeCount(int bits_per_key) {
  // k = bits_per_key * ln 2 minimises the false-positive rate.
  return std::clamp(static_cast<int>(bits_per_key * 0.69), 1, 30);
}

// Cache-local: the low half picks the line (multiply-shift, no division), the high
// half walks k bits inside it.
size_t LineOf(uint64_t h, size_t lines) {
  return static_cast<size_t>((static_cast<uint64_t>(static_cast<uint32_t>(h)) * lines) >> 32);
}

template <typename Fn>
void ForEachLineBit(uint64_t h, int k, Fn&& fn) {
  uint32_t g = static_cast<uint32_t>(h >> 32);
  const uint32_t delta = (g >> 17) | (g << 15);
  for (int i = 0; i < k; ++i) {
    if (!fn(g % kLineBits)) return;
    g += delta;
  }
}

bool ClassicMayContain(std::string_view filter, uint64_t h) {
  int k = static_cast<uint8_t>(filter.back());
  if (k < 1 || k > 30) return true;
  size_t bits = (filter.size() - 1) * 8;
  uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
  for (int i = 0; i < k; ++i) {
    uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
    if (!(filter[bit / 8] & (1 << (bit % 8)))) return false;
  }
  return true;
}

}  // namespace

uint64_t BloomHash(std::string_view user_part) {
  return XXH64(user_part.data(), user_part.size(), 0x6361726eu);
}

void BloomBuilder::AddKey(std::string_view user_part) { hashes_.push_back(BloomHash(user_part)); }

std::string BloomBuilder::Finish() const {
  if (layout_ == BloomLayout::kClassic) return FinishClassic();
  int k = ProbeCount(bits_per_key_);
  size_t bits = std::max<size_t>(kLineBits, hashes_.size() * bits_per_key_);
  size_t lines = (bits + kLineBits - 1) / kLineBits;
  std::string filter(lines * kBloomLineBytes, '\0');
  for (uint64_t h : hashes_) {
    char* line = filter.data() + LineOf(h, lines) * kBloomLineBytes;
    ForEachLineBit(h, k, [&](uint32_t bit) {
      line[bit / 8] |= static_cast<char>(1 << (bit % 8));
      return true;
    });
  }
  filter.push_back(static_cast<char>(k));
  filter.push_back(static_cast<char>(kCacheLocalTag));
  return filter;
}

bool BloomMayContainHash(std::string_view filter, uint64_t h) {
  if (filter.size() < 2) return true;
  if (static_cast<uint8_t>(filter.back()) != kCacheLocalTag) return ClassicMayContain(filter, h);
  int k = static_cast<uint8_t>(filter[filter.size() - 2]);
  size_t lines = (filter.size() - 2) / kBloomLineBytes;
  if (k < 1 || k > 30 || lines == 0 || (filter.size() - 2) % kBloomLineBytes != 0) return true;
  const char* line = filter.data() + LineOf(h, lines) * kBloomLineBytes;
  bool present = true;
  ForEachLineBit(h, k, [&](uint32_t bit) {
    present = line[bit / 8] & (1 << (bit % 8));
    return present;
  });
  return present;
}

std::string BloomBuilder::FinishClassic() const {
  int k = ProbeCount(bits_per_key_);
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

}  // namespace cairn::sst
