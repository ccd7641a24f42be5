// SkipList: LevelDB's sorted set for the memtable, with RocksDB's inline layout: each
// entry's bytes sit right after its node in the arena (one cache line for the link
// and the key's first bytes), and the links of levels 1.. sit before the node.
//
// Keys are `const char*` into the entry bytes; Compare orders them. Nothing is ever
// removed; everything lives as long as the arena.
//
// Thread safety: AllocateKey and Insert need external synchronisation (one writer at a
// time: the engine mutex), but readers need none: a node is fully built before a
// release store links it in, and readers follow links with acquire loads, so any
// number of readers may iterate while one writer inserts.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>

#include "common/random.h"
#include "storage/arena.h"

namespace cairn {

// `Compare` is a functor: int operator()(const char* a, const char* b) const, < 0 when
// a sorts first.
template <class Compare>
class SkipList {
 private:
  struct Node;

 public:
  SkipList(Compare cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Room for an entry of `size` bytes; fill it, then Insert it.
  char* AllocateKey(size_t size);
  // `key` (from AllocateKey) must not compare equal to any key in the list.
  void Insert(const char* key);

  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}
    bool Valid() const { return node_ != nullptr; }
    const char* key() const { return node_->Key(); }
    void Next() { node_ = node_->Next(0); }
    // The first entry >= target.
    void Seek(const char* target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  static constexpr int kMaxHeight = 12;

  // Link n of a node of height h (n < h) is at &next0 - n; the entry starts at &next0 + 1.
  struct Node {
    std::atomic<Node*> next0;
    const char* Key() const { return reinterpret_cast<const char*>(&next0 + 1); }
    std::atomic<Node*>* Link(int n) { return &next0 - n; }
    Node* Next(int n) { return Link(n)->load(std::memory_order_acquire); }
    void SetNext(int n, Node* x) { Link(n)->store(x, std::memory_order_release); }
    Node* NoBarrierNext(int n) { return Link(n)->load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int n, Node* x) { Link(n)->store(x, std::memory_order_relaxed); }
  };

  Node* NewNode(int height, size_t key_size);
  int RandomHeight();
  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  // The first node >= key; fills prev[level] with the last node < key at each level.
  Node* FindGreaterOrEqual(const char* key, Node** prev) const;

  Compare const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  Random rnd_{0xdeadbeef};  // writer only
};

template <class Compare>
SkipList<Compare>::SkipList(Compare cmp, Arena* arena)
    : compare_(cmp), arena_(arena), head_(NewNode(kMaxHeight, 0)) {
  for (int i = 0; i < kMaxHeight; i++) head_->SetNext(i, nullptr);
}

template <class Compare>
typename SkipList<Compare>::Node* SkipList<Compare>::NewNode(int height, size_t key_size) {
  size_t links = sizeof(std::atomic<Node*>) * static_cast<size_t>(height);
  char* mem = arena_->AllocateAligned(links + key_size);
  for (int i = 0; i < height; i++) new (mem + sizeof(std::atomic<Node*>) * i) std::atomic<Node*>();
  return reinterpret_cast<Node*>(mem + links - sizeof(std::atomic<Node*>));
}

template <class Compare>
int SkipList<Compare>::RandomHeight() {
  int height = 1;  // grows with probability 1/4 per level
  while (height < kMaxHeight && (rnd_.Next() & 3) == 0) height++;
  return height;
}

template <class Compare>
char* SkipList<Compare>::AllocateKey(size_t size) {
  int height = RandomHeight();
  Node* x = NewNode(height, size);
  // The height is kept in link 0 until Insert links the node.
  x->next0.store(reinterpret_cast<Node*>(static_cast<intptr_t>(height)), std::memory_order_relaxed);
  return const_cast<char*>(x->Key());
}

template <class Compare>
typename SkipList<Compare>::Node* SkipList<Compare>::FindGreaterOrEqual(const char* key,
                                                                        Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  for (;;) {
    Node* next = x->Next(level);
    if (next != nullptr && compare_(next->Key(), key) < 0) {
      x = next;  // keep searching in this list
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      level--;
    }
  }
}

template <class Compare>
void SkipList<Compare>::Insert(const char* key) {
  Node* x = reinterpret_cast<Node*>(const_cast<char*>(key)) - 1;
  int height = static_cast<int>(reinterpret_cast<intptr_t>(x->NoBarrierNext(0)));
  Node* prev[kMaxHeight];
  Node* found = FindGreaterOrEqual(key, prev);
  assert(found == nullptr || compare_(key, found->Key()) != 0);
  (void)found;
  if (height > GetMaxHeight()) {
    for (int i = GetMaxHeight(); i < height; i++) prev[i] = head_;
    // A reader seeing the new height before the node finds nullptr links from head_
    // at the new levels and drops to the next level: still correct.
    max_height_.store(height, std::memory_order_relaxed);
  }
  for (int i = 0; i < height; i++) {
    // The node's own links first (no barrier: it is not published yet), then publish.
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

}  // namespace cairn
