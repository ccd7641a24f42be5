#include "storage/merging_iterator.h"

#include "sst/internal_key.h"

namespace cairn {
namespace {

class MergingIterator final : public sst::Iterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<sst::Iterator>> children)
      : children_(std::move(children)) {}

  bool Valid() const override { return current_ != nullptr; }
  void SeekToFirst() override {
    for (auto& c : children_) c->SeekToFirst();
    FindSmallest();
  }
  void Seek(std::string_view target) override {
    for (auto& c : children_) c->Seek(target);
    FindSmallest();
  }
  void Next() override {
    current_->Next();
    FindSmallest();
  }
  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }
  Status status() const override { return status_; }

 private:
  // An error in any child stops the whole merge: skipping its entries could surface
  // an older version of a key, which would be wrong data.
  void FindSmallest() {
    current_ = nullptr;
    for (auto& c : children_) {
      if (!c->status().ok()) {
        status_ = c->status();
        current_ = nullptr;
        return;
      }
      if (c->Valid() && (!current_ || sst::CompareInternalKeys(c->key(), current_->key()) < 0)) {
        current_ = c.get();
      }
    }
  }

  std::vector<std::unique_ptr<sst::Iterator>> children_;
  sst::Iterator* current_ = nullptr;
  Status status_;
};

}  // namespace

std::unique_ptr<sst::Iterator> NewMergingIterator(
    std::vector<std::unique_ptr<sst::Iterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace cairn
