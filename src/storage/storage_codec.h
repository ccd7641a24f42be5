// Encodings of the engine's meta-store values (docs/storage.md, "Meta key layout").
// Every value starts with a format byte so the layout can evolve.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/cluster.h"

namespace cairn {

// storage/sst/<id> -> SstMeta: one SST of the current version.
struct SstMeta {
  uint64_t object_id = 0;
  int level = 0;
  std::string smallest_key;  // internal keys (sst/internal_key.h)
  std::string largest_key;
  uint64_t min_epoch = 0;
  uint64_t max_epoch = 0;
  uint64_t file_size = 0;
  uint64_t entry_count = 0;
  std::vector<uint32_t> table_ids;
};
std::string EncodeSstMeta(const SstMeta& meta);
Result<SstMeta> DecodeSstMeta(std::string_view bytes);

// storage/version -> VersionHeader.
struct VersionHeader {
  uint64_t version_id = 0;
  uint64_t max_committed_epoch = 0;
};
std::string EncodeVersionHeader(const VersionHeader& header);
Result<VersionHeader> DecodeVersionHeader(std::string_view bytes);

// catalog/table/<id> -> TableInfo.
std::string EncodeTableRecord(const TableInfo& table);
Result<TableInfo> DecodeTableRecord(std::string_view bytes);

// Decimal text values: storage/stale/<id>, catalog/version, catalog/name/<name>.
Result<uint64_t> DecodeDecimal(std::string_view key, std::string_view text);

// The object-store prefix under which every SST lives.
inline constexpr std::string_view kSstObjectPrefix = "data/";
// "data/<16 hex>.sst", and its inverse (false for any other key).
std::string SstObjectKey(uint64_t object_id);
bool ParseSstObjectKey(std::string_view key, uint64_t* object_id);

}  // namespace cairn
