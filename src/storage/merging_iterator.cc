#include "storage/merging_iterator.h"

#include <string_view>

#include "sst/internal_key.h"

namespace cairn {
namespace {

class MergingIterator final : public sst::Iterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<sst::Iterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return !heap_.empty(); }
  void SeekToFirst() override {
    for (auto& c : children_) c->SeekToFirst();
    Rebuild();
  }
  void Seek(std::string_view target) override {
    for (auto& c : children_) c->Seek(target);
    Rebuild();
  }
  void Next() override {
    Entry& top = heap_.front();
    top.child->Next();
    if (!top.child->Valid()) {
      if (!top.child->status().ok()) return Fail(top.child->status());
      heap_.front() = heap_.back();
      heap_.pop_back();
    } else {
      top.key = top.child->key();
    }
    if (!heap_.empty()) SiftDown(0);
  }
  std::string_view key() const override { return heap_.front().key; }
  std::string_view value() const override { return heap_.front().child->value(); }
  Status status() const override { return status_; }

 private:
  struct Entry {
    sst::Iterator* child;
    size_t order;          // index in children_: breaks ties between equal keys
    std::string_view key;  // child->key(), valid until the child moves
  };

  static bool Less(const Entry& a, const Entry& b) {
    int r = sst::CompareInternalKeys(a.key, b.key);
    return r < 0 || (r == 0 && a.order < b.order);
  }

  void Fail(Status s) {
    status_ = std::move(s);
    heap_.clear();
  }

  // Every child was just positioned: collect the valid ones and heapify.
  void Rebuild() {
    heap_.clear();
    if (!status_.ok()) return;  // an error is final
    for (size_t i = 0; i < children_.size(); ++i) {
      sst::Iterator* c = children_[i].get();
      if (!c->status().ok()) return Fail(c->status());
      if (c->Valid()) heap_.push_back(Entry{c, i, c->key()});
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    Entry moving = heap_[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Less(heap_[child + 1], heap_[child])) ++child;
      if (!Less(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
  }

  std::vector<std::unique_ptr<sst::Iterator>> children_;
  std::vector<Entry> heap_;  // min-heap of the valid children
  Status status_;
};

}  // namespace

std::unique_ptr<sst::Iterator> NewMergingIterator(
    std::vector<std::unique_ptr<sst::Iterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace cairn
