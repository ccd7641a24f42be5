// The on-object layout of an SST (docs/sst-format.md): block handles, the block
// trailer (compression type + xxhash64), and the fixed-size footer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn::sst {

// Bump when the layout changes; readers refuse versions newer than they know.
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint64_t kTableMagic = 0x3153535f4e524941ull;  // "AIRN_SS1" little-endian

inline constexpr size_t kBlockTrailerSize = 9;  // compression type (1) + xxhash64 (8)
inline constexpr size_t kFooterSize = 64;

enum class Compression : uint8_t { kNone = 0, kLz4 = 1 };

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // payload bytes, excluding the trailer
};
void EncodeBlockHandle(std::string* dst, const BlockHandle& h);
bool DecodeBlockHandle(std::string_view* in, BlockHandle* h);

struct Footer {
  BlockHandle index;
  BlockHandle filter;
  BlockHandle properties;
  uint32_t format_version = kFormatVersion;
};
std::string EncodeFooter(const Footer& footer);
// `what` names the object in errors. NotSupported for a newer format version,
// Corruption for a bad magic (e.g. a truncated object) or checksum.
Result<Footer> DecodeFooter(std::string_view bytes, const std::string& what);

// Compresses `raw` (when it pays off) and appends payload + trailer to `out`.
// Returns the payload size (the handle's size).
uint64_t AppendBlock(std::string* out, std::string_view raw, Compression compression);
// Verifies the checksum of payload+trailer and decompresses. `what` names the object
// and block offset in errors.
Result<std::string> DecodeBlock(std::string_view payload_and_trailer, const std::string& what);
// The same, reusing `framed`'s buffer for an uncompressed block (no copy).
Result<std::string> DecodeBlock(std::string&& framed, const std::string& what);

}  // namespace cairn::sst
