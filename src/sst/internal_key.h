// Internal keys: how a user key of a table, at one epoch, is stored in memtables and
// SSTs (docs/sst-format.md). Layout:
//   table id (4 bytes big-endian) | user key | ~epoch (8 bytes big-endian) | kind (1 byte)
// The first part ("user part") orders by table then user key bytewise; the 9-byte
// trailer orders newer epochs first because the epoch is stored inverted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::sst {

enum class ValueKind : uint8_t { kDelete = 0, kPut = 1 };

inline constexpr size_t kInternalKeyTrailer = 9;

std::string MakeUserPart(uint32_t table_id, std::string_view user_key);
void AppendInternalKey(std::string* dst, std::string_view user_part, uint64_t epoch,
                       ValueKind kind);
std::string MakeInternalKey(uint32_t table_id, std::string_view user_key, uint64_t epoch,
                            ValueKind kind);
// The smallest internal key of (table, user key) visible at `epoch`: seeking to it lands
// on the newest version whose epoch is <= `epoch`.
std::string MakeSeekKey(uint32_t table_id, std::string_view user_key, uint64_t epoch);

struct ParsedInternalKey {
  std::string_view user_part;  // table id + user key
  uint64_t epoch = 0;
  ValueKind kind = ValueKind::kPut;

  uint32_t table_id() const;
  std::string_view user_key() const { return user_part.substr(4); }
};

// False when `ikey` is too short or the kind byte is unknown.
bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out);
inline std::string_view UserPart(std::string_view ikey) {
  return ikey.substr(0, ikey.size() - kInternalKeyTrailer);
}

// Total order of internal keys: user part ascending, then epoch descending.
// Because the trailer is big-endian and inverted, this equals comparing the user part
// and then the trailer bytewise; a plain memcmp of whole keys would not be correct when
// one user key is a prefix of another.
// Inline: it is the comparison of every seek and merge step.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  if (a.size() < kInternalKeyTrailer || b.size() < kInternalKeyTrailer) return a.compare(b);
  int r = UserPart(a).compare(UserPart(b));
  if (r != 0) return r;
  return a.substr(a.size() - kInternalKeyTrailer).compare(b.substr(b.size() - kInternalKeyTrailer));
}

struct InternalKeyLess {
  bool operator()(std::string_view a, std::string_view b) const {
    return CompareInternalKeys(a, b) < 0;
  }
};

}  // namespace cairn::sst
