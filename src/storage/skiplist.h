// SkipList: LevelDB's sorted set for the memtable. Keys are pointers into an Arena
// (never freed before the list); nodes live in the same arena.
//
// Thread safety: Insert needs external synchronisation (one writer at a time, the
// engine mutex), but readers need none: a node is fully built before a release store
// links it in, and readers follow links with acquire loads, so any number of readers
// may iterate while one writer inserts. Nothing is ever removed.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>

#include "common/random.h"
#include "storage/arena.h"

namespace cairn {

// `Compare` is a functor: int operator()(Key a, Key b) const, < 0 when a sorts first.
template <typename Key, class Compare>
class SkipList {
 private:
  struct Node;

 public:
  SkipList(Compare cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // `key` must not compare equal to any key in the list.
  void Insert(const Key& key);

  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}
    bool Valid() const { return node_ != nullptr; }
    const Key& key() const { return node_->key; }
    void Next() { node_ = node_->Next(0); }
    // The first entry >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  static constexpr int kMaxHeight = 12;

  struct Node {
    explicit Node(const Key& k) : key(k) {}
    Key const key;
    Node* Next(int n) { return next_[n].load(std::memory_order_acquire); }
    void SetNext(int n, Node* x) { next_[n].store(x, std::memory_order_release); }
    Node* NoBarrierNext(int n) { return next_[n].load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int n, Node* x) { next_[n].store(x, std::memory_order_relaxed); }

   private:
    std::atomic<Node*> next_[1];  // height entries: allocated past the end of the node
  };

  Node* NewNode(const Key& key, int height);
  int RandomHeight();
  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  // The first node >= key; fills prev[level] with the last node < key at each level.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;

  Compare const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  Random rnd_{0xdeadbeef};  // writer only
};

template <typename Key, class Compare>
SkipList<Key, Compare>::SkipList(Compare cmp, Arena* arena)
    : compare_(cmp), arena_(arena), head_(NewNode(Key(), kMaxHeight)) {
  for (int i = 0; i < kMaxHeight; i++) head_->SetNext(i, nullptr);
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::NewNode(const Key& key, int height) {
  char* mem = arena_->AllocateAligned(sizeof(Node) + sizeof(std::atomic<Node*>) * (height - 1));
  return new (mem) Node(key);
}

template <typename Key, class Compare>
int SkipList<Key, Compare>::RandomHeight() {
  int height = 1;  // grows with probability 1/4 per level
  while (height < kMaxHeight && rnd_.Uniform(4) == 0) height++;
  return height;
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::FindGreaterOrEqual(
    const Key& key, Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  for (;;) {
    Node* next = x->Next(level);
    if (next != nullptr && compare_(next->key, key) < 0) {
      x = next;  // keep searching in this list
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      level--;
    }
  }
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Insert(const Key& key) {
  Node* prev[kMaxHeight];
  Node* x = FindGreaterOrEqual(key, prev);
  assert(x == nullptr || compare_(key, x->key) != 0);
  int height = RandomHeight();
  if (height > GetMaxHeight()) {
    for (int i = GetMaxHeight(); i < height; i++) prev[i] = head_;
    // A reader seeing the new height before the node finds nullptr links from head_
    // at the new levels and drops to the next level: still correct.
    max_height_.store(height, std::memory_order_relaxed);
  }
  x = NewNode(key, height);
  for (int i = 0; i < height; i++) {
    // The node's own links first (no barrier: it is not published yet), then publish.
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

}  // namespace cairn
