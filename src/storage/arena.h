// Arena: a bump allocator for the memtable (LevelDB's). Memory is handed out from 4 KiB
// blocks (an allocation over a quarter block gets a block of its own) and freed only
// when the arena is destroyed, so a memtable's keys and nodes cost one pointer bump
// each instead of a heap allocation. One thread allocates; MemoryUsage may be read by
// any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace cairn {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // `bytes` > 0; the memory is uninitialised and lives as long as the arena.
  char* Allocate(size_t bytes);
  // Like Allocate, aligned for pointers and atomics.
  char* AllocateAligned(size_t bytes);
  // Bytes of every block allocated so far, plus their bookkeeping.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 4096;
  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
};

inline char* Arena::Allocate(size_t bytes) {
  if (bytes <= remaining_) {
    char* result = ptr_;
    ptr_ += bytes;
    remaining_ -= bytes;
    return result;
  }
  return AllocateFallback(bytes);
}

}  // namespace cairn
