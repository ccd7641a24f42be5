// TableProperties: the summary stored in an SST's properties block, and copied into the
// engine's SstMeta so most decisions need no object-store read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cairn::sst {

struct TableProperties {
  std::string smallest_key;  // internal keys
  std::string largest_key;
  uint64_t min_epoch = 0;
  uint64_t max_epoch = 0;
  uint64_t entry_count = 0;
  uint64_t delete_count = 0;
  uint64_t data_block_count = 0;
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  std::vector<uint32_t> table_ids;  // ascending, distinct
};

std::string EncodeProperties(const TableProperties& props);
Result<TableProperties> DecodeProperties(std::string_view bytes, const std::string& what);

}  // namespace cairn::sst
