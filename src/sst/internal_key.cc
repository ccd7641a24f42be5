#include "sst/internal_key.h"

#include "common/coding.h"

namespace cairn::sst {

std::string MakeUserPart(uint32_t table_id, std::string_view user_key) {
  std::string out;
  out.reserve(4 + user_key.size());
  PutBigEndian32(&out, table_id);
  out.append(user_key);
  return out;
}

void AppendInternalKey(std::string* dst, std::string_view user_part, uint64_t epoch,
                       ValueKind kind) {
  dst->append(user_part);
  PutBigEndian64(dst, ~epoch);
  dst->push_back(static_cast<char>(kind));
}

std::string MakeInternalKey(uint32_t table_id, std::string_view user_key, uint64_t epoch,
                            ValueKind kind) {
  std::string out;
  out.reserve(4 + user_key.size() + kInternalKeyTrailer);
  AppendInternalKey(&out, MakeUserPart(table_id, user_key), epoch, kind);
  return out;
}

std::string MakeSeekKey(uint32_t table_id, std::string_view user_key, uint64_t epoch) {
  // Kind 0 is the smallest trailer byte, so the seek key sorts before every entry at
  // `epoch` and after every entry newer than it.
  return MakeInternalKey(table_id, user_key, epoch, ValueKind::kDelete);
}

uint32_t ParsedInternalKey::table_id() const { return DecodeBigEndian32(user_part.data()); }

bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out) {
  if (ikey.size() < 4 + kInternalKeyTrailer) return false;
  size_t n = ikey.size() - kInternalKeyTrailer;
  uint8_t kind = static_cast<uint8_t>(ikey[ikey.size() - 1]);
  if (kind > static_cast<uint8_t>(ValueKind::kPut)) return false;
  out->user_part = ikey.substr(0, n);
  out->epoch = ~DecodeBigEndian64(ikey.data() + n);
  out->kind = static_cast<ValueKind>(kind);
  return true;
}

}  // namespace cairn::sst
