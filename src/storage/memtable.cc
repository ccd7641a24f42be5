#include "storage/memtable.h"

namespace cairn {

void Memtable::Add(std::string user_part, sst::ValueKind kind, std::string_view value) {
  bytes_ += user_part.size() + value.size() + 64;
  auto& entry = entries_[std::move(user_part)];
  entry.kind = kind;
  entry.value.assign(value);
}

class MemtableIterator final : public sst::Iterator {
 public:
  explicit MemtableIterator(const Memtable* mem) : mem_(mem), it_(mem->entries_.end()) {}

  bool Valid() const override { return it_ != mem_->entries_.end(); }
  void SeekToFirst() override {
    it_ = mem_->entries_.begin();
    Update();
  }
  void Seek(std::string_view target) override {
    // All entries share one epoch, so ordering by user part is enough; a target at the
    // same user part but an older epoch sorts after the entry.
    std::string_view user_part = sst::UserPart(target);
    it_ = mem_->entries_.lower_bound(std::string(user_part));
    if (Valid() && it_->first == user_part) {
      key_.clear();
      sst::AppendInternalKey(&key_, it_->first, mem_->epoch_, it_->second.kind);
      if (sst::CompareInternalKeys(key_, target) < 0) ++it_;
    }
    Update();
  }
  void Next() override {
    ++it_;
    Update();
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return it_->second.value; }
  Status status() const override { return Status::OK(); }

 private:
  void Update() {
    if (!Valid()) return;
    key_.clear();
    sst::AppendInternalKey(&key_, it_->first, mem_->epoch_, it_->second.kind);
  }

  const Memtable* mem_;
  std::map<std::string, Memtable::Entry>::const_iterator it_;
  std::string key_;
};

std::unique_ptr<sst::Iterator> Memtable::NewIterator() const {
  return std::make_unique<MemtableIterator>(this);
}

}  // namespace cairn
