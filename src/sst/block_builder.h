// BlockBuilder: sorted key/value entries with shared-prefix compression and restart
// points (docs/sst-format.md, "Blocks"). Every `restart_interval` entries a key is
// stored whole, so a reader can binary-search the restart array.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::sst {

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval = 16);

  // Keys must be added in strictly ascending internal-key order.
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array; the builder must be Reset() before reuse.
  std::string_view Finish();
  void Reset();

  size_t EstimatedSize() const;
  bool empty() const { return counter_ == 0 && restarts_.size() == 1 && buffer_.empty(); }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;
  std::string last_key_;
};

}  // namespace cairn::sst
