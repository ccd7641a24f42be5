#include "sst/block.h"

#include "common/coding.h"
#include "sst/internal_key.h"

namespace cairn::sst {

Result<std::shared_ptr<const Block>> Block::Parse(std::string contents, const std::string& what) {
  if (contents.size() < 4) return Status::Corruption(what + ": block too short");
  uint32_t num_restarts = DecodeFixed32(contents.data() + contents.size() - 4);
  uint64_t restart_bytes = (static_cast<uint64_t>(num_restarts) + 1) * 4;
  if (num_restarts == 0 || restart_bytes > contents.size()) {
    return Status::Corruption(what + ": bad restart array");
  }
  uint32_t restart_offset = static_cast<uint32_t>(contents.size() - restart_bytes);
  return std::shared_ptr<const Block>(
      new Block(std::move(contents), restart_offset, num_restarts, what));
}

class BlockIterator final : public Iterator {
 public:
  explicit BlockIterator(std::shared_ptr<const Block> block) : block_(std::move(block)) {}

  bool Valid() const override { return valid_; }
  Status status() const override { return status_; }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }

  void SeekToFirst() override {
    SeekToRestart(0);
    ParseNext();
  }

  void Seek(std::string_view target) override {
    // Binary search for the last restart point whose key is < target.
    uint32_t lo = 0, hi = block_->num_restarts_ - 1;
    while (lo < hi) {
      uint32_t mid = (lo + hi + 1) / 2;
      SeekToRestart(mid);
      if (!ParseNext()) return;
      if (CompareInternalKeys(key_, target) < 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    SeekToRestart(lo);
    while (ParseNext()) {
      if (CompareInternalKeys(key_, target) >= 0) return;
    }
  }

  void Next() override { ParseNext(); }

 private:
  uint32_t RestartPoint(uint32_t i) const {
    return DecodeFixed32(block_->data_.data() + block_->restart_offset_ + 4 * i);
  }
  void SeekToRestart(uint32_t i) {
    key_.clear();
    next_ = RestartPoint(i);
  }

  // Decodes the entry at next_; false at the end or on corruption.
  bool ParseNext() {
    valid_ = false;
    if (!status_.ok()) return false;
    if (next_ >= block_->restart_offset_) return false;
    std::string_view in(block_->data_.data() + next_, block_->restart_offset_ - next_);
    uint64_t shared, non_shared, value_len;
    if (!GetVarint64(&in, &shared) || !GetVarint64(&in, &non_shared) ||
        !GetVarint64(&in, &value_len) || shared > key_.size() || non_shared > in.size() ||
        value_len > in.size() - non_shared) {
      status_ = Status::Corruption(block_->what_ + ": bad entry");
      return false;
    }
    key_.resize(shared);
    key_.append(in.substr(0, non_shared));
    value_ = in.substr(non_shared, value_len);
    next_ = static_cast<uint32_t>(value_.data() + value_len - block_->data_.data());
    valid_ = true;
    return true;
  }

  std::shared_ptr<const Block> block_;
  uint32_t next_ = 0;
  std::string key_;
  std::string_view value_;
  bool valid_ = false;
  Status status_;
};

std::unique_ptr<Iterator> Block::NewIterator(std::shared_ptr<const Block> block) {
  return std::make_unique<BlockIterator>(std::move(block));
}

}  // namespace cairn::sst
