#include "storage/arena.h"

#include <cstdint>

namespace cairn {

char* Arena::AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
  size_t misalign = reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1);
  size_t slop = misalign == 0 ? 0 : kAlign - misalign;
  if (bytes + slop <= remaining_) {
    char* result = ptr_ + slop;
    ptr_ += bytes + slop;
    remaining_ -= bytes + slop;
    return result;
  }
  // New blocks come from operator new[], which is aligned for any fundamental type.
  return AllocateFallback(bytes);
}

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) return NewBlock(bytes);  // keeps the current block's rest
  ptr_ = NewBlock(kBlockSize);
  remaining_ = kBlockSize - bytes;
  char* result = ptr_;
  ptr_ += bytes;
  return result;
}

char* Arena::NewBlock(size_t bytes) {
  blocks_.push_back(std::unique_ptr<char[]>(new char[bytes]));  // uninitialised
  usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace cairn
