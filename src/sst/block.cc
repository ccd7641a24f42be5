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

// A position in a block, decoding entries into a caller-owned key buffer. Shared by
// BlockIterator and Block::Seek; owns nothing.
class BlockCursor {
 public:
  BlockCursor(const Block* block, std::string* key) : block_(block), key_(key) {}

  bool valid() const { return valid_; }
  bool corrupt() const { return corrupt_; }
  std::string_view value() const { return value_; }
  Status CorruptionStatus() const { return Status::Corruption(block_->what_ + ": bad entry"); }

  void SeekToFirst() {
    SeekToRestart(0);
    ParseNext();
  }

  void Seek(std::string_view target) {
    // Binary search for the last restart point whose key is < target. Keys at restart
    // points share no prefix, so they are compared in place, without decoding.
    uint32_t lo = 0, hi = block_->num_restarts_ - 1;
    while (lo < hi) {
      uint32_t mid = (lo + hi + 1) / 2;
      std::string_view restart_key;
      if (!RestartKey(mid, &restart_key)) return;
      if (CompareInternalKeys(restart_key, target) < 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    SeekToRestart(lo);
    while (ParseNext()) {
      if (CompareInternalKeys(*key_, target) >= 0) return;
    }
  }

  // Decodes the entry at next_; false at the end or on corruption.
  bool ParseNext() {
    valid_ = false;
    if (corrupt_ || next_ >= block_->restart_offset_) return false;
    std::string_view in(block_->data_.data() + next_, block_->restart_offset_ - next_);
    uint64_t shared, non_shared, value_len;
    if (!GetVarint64(&in, &shared) || !GetVarint64(&in, &non_shared) ||
        !GetVarint64(&in, &value_len) || shared > key_->size() || non_shared > in.size() ||
        value_len > in.size() - non_shared) {
      corrupt_ = true;
      return false;
    }
    key_->resize(shared);
    key_->append(in.substr(0, non_shared));
    value_ = in.substr(non_shared, value_len);
    next_ = static_cast<uint32_t>(value_.data() + value_len - block_->data_.data());
    valid_ = true;
    return true;
  }

 private:
  uint32_t RestartPoint(uint32_t i) const {
    return DecodeFixed32(block_->data_.data() + block_->restart_offset_ + 4 * i);
  }
  void SeekToRestart(uint32_t i) {
    key_->clear();
    next_ = RestartPoint(i);
  }
  // The whole key of the entry at restart point `i`; false (corrupt) when malformed.
  bool RestartKey(uint32_t i, std::string_view* key) {
    uint32_t offset = RestartPoint(i);
    uint64_t shared, non_shared, value_len;
    std::string_view in;
    if (offset < block_->restart_offset_) {
      in = std::string_view(block_->data_.data() + offset, block_->restart_offset_ - offset);
    }
    if (!GetVarint64(&in, &shared) || !GetVarint64(&in, &non_shared) ||
        !GetVarint64(&in, &value_len) || shared != 0 || non_shared > in.size()) {
      corrupt_ = true;
      valid_ = false;
      return false;
    }
    *key = in.substr(0, non_shared);
    return true;
  }

  const Block* block_;
  std::string* key_;
  uint32_t next_ = 0;
  std::string_view value_;
  bool valid_ = false;
  bool corrupt_ = false;
};

Result<bool> Block::Seek(std::string_view target, std::string* key, std::string_view* value) const {
  BlockCursor cursor(this, key);
  cursor.Seek(target);
  if (cursor.corrupt()) return cursor.CorruptionStatus();
  if (!cursor.valid()) return false;
  *value = cursor.value();
  return true;
}

class BlockIterator final : public Iterator {
 public:
  explicit BlockIterator(std::shared_ptr<const Block> block)
      : block_(std::move(block)), cursor_(block_.get(), &key_) {}

  bool Valid() const override { return cursor_.valid(); }
  Status status() const override {
    return cursor_.corrupt() ? cursor_.CorruptionStatus() : Status::OK();
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return cursor_.value(); }
  void SeekToFirst() override { cursor_.SeekToFirst(); }
  void Seek(std::string_view target) override { cursor_.Seek(target); }
  void Next() override { cursor_.ParseNext(); }

 private:
  std::shared_ptr<const Block> block_;
  std::string key_;
  BlockCursor cursor_;
};

std::unique_ptr<Iterator> Block::NewIterator(std::shared_ptr<const Block> block) {
  return std::make_unique<BlockIterator>(std::move(block));
}

}  // namespace cairn::sst
