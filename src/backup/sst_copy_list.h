// The copy list of a self-contained backup (`backup create --copy-data`,
// docs/backup-format.md "Copied SSTs"): every SST the backup references, with the size
// and xxhash64 of its bytes, as copied to backup storage under sst/<16 hex id>.sst.
// One object per backup, copies/<id:20>.list, written and read streamed (1 MiB at a time),
// fixed-width text lines so that 100k SSTs are 5 MB and a damaged byte is named by line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr uint32_t kCopyListFormatVersion = 1;

// One copied SST: object id, size in bytes and XXH64(bytes, seed 0).
struct SstCopy {
  uint64_t id = 0;
  uint64_t size = 0;
  uint64_t checksum = 0;
  bool operator==(const SstCopy&) const = default;
};

// What a manifest entry records of its copy list (written before the entry is published).
struct CopyListInfo {
  std::string key;        // copies/<id:20>.list
  uint64_t size = 0;      // bytes of the list object
  uint64_t checksum = 0;  // XXH64 of the list object
  uint64_t count = 0;     // SSTs listed
};

inline constexpr std::string_view kCopyPrefix = "sst/";
inline constexpr std::string_view kCopyListPrefix = "copies/";
// sst/<16 hex>.sst, and its inverse (false for any other key).
std::string CopyKey(uint64_t id);
bool ParseCopyKey(std::string_view key, uint64_t* id);
// copies/<backup id:20>.list, and its inverse.
std::string CopyListKey(uint64_t backup_id);
bool ParseCopyListKey(std::string_view key, uint64_t* backup_id);

// Streams `copies` (sorted by id, no duplicates) into `key` (overwriting: a list belongs
// to one backup id, and a leftover of a failed attempt is replaced).
Result<CopyListInfo> WriteCopyList(ObjectStore* store, const std::string& key,
                                   const std::vector<SstCopy>& copies);

// Reads `expected.key` streamed and checks its header, every line, its trailer (count and
// XXH64 of the lines) and, when expected.size is non-zero, its size and checksum against
// `expected`. Corruption naming the key (and line) on any mismatch; NotFound naming it
// when absent; NotSupported for a newer format version.
Result<std::vector<SstCopy>> ReadCopyList(ObjectStore* store, const CopyListInfo& expected);

}  // namespace cairn
