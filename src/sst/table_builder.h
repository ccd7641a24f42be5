// TableBuilder: streams a sorted run of internal keys into an SST object through an
// ObjectWriter (docs/sst-format.md). Memory is bounded by one block plus the bloom
// hashes (8 bytes per distinct user key) and the index.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"
#include "object_store/object_store.h"
#include "sst/block_builder.h"
#include "sst/bloom.h"
#include "sst/format.h"
#include "sst/properties.h"

namespace cairn::sst {

struct TableBuilderOptions {
  size_t block_size = 16 * 1024;
  int restart_interval = 16;
  int bloom_bits_per_key = 10;
  Compression compression = Compression::kLz4;
  uint32_t format_version = kFormatVersion;  // tests write future versions
};

class TableBuilder {
 public:
  // `what` names the object in errors ("SST data/x.sst").
  TableBuilder(std::unique_ptr<ObjectWriter> writer, std::string what,
               const TableBuilderOptions& options = {});
  ~TableBuilder();

  // Keys must be strictly ascending in internal-key order.
  Status Add(std::string_view internal_key, std::string_view value);
  // Writes filter, properties, index and footer, then makes the object visible.
  Status Finish();
  // Discards the upload; nothing becomes visible.
  void Abandon();

  uint64_t entry_count() const { return props_.entry_count; }
  // Bytes written so far plus the open block: the size the SST would have now.
  uint64_t EstimatedSize() const { return offset_ + data_block_.EstimatedSize(); }
  uint64_t file_size() const { return offset_; }
  const TableProperties& properties() const { return props_; }

 private:
  Status FlushDataBlock();
  // Appends an encoded block to the pending buffer and returns its handle.
  BlockHandle EmitBlock(std::string_view raw, Compression compression);
  Status FlushPending(bool force);

  std::unique_ptr<ObjectWriter> writer_;
  const std::string what_;
  const TableBuilderOptions options_;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  BloomBuilder bloom_;
  TableProperties props_;
  std::set<uint32_t> table_ids_;
  std::string last_user_part_;
  std::string pending_;  // encoded bytes not yet handed to the writer
  uint64_t offset_ = 0;  // bytes emitted (pending included)
  bool finished_ = false;
  Status status_;
};

}  // namespace cairn::sst
