#include "storage/storage_codec.h"

#include <charconv>

#include "common/coding.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr char kFormat = 1;

Status Malformed(std::string_view what) {
  return Status::Corruption("malformed " + std::string(what) + " value in the meta store");
}

// Consumes the leading format byte.
bool TakeFormat(std::string_view* in) {
  if (in->empty() || (*in)[0] != kFormat) return false;
  in->remove_prefix(1);
  return true;
}

}  // namespace

std::string EncodeSstMeta(const SstMeta& m) {
  std::string out(1, kFormat);
  PutVarint64(&out, m.object_id);
  PutVarint64(&out, static_cast<uint64_t>(m.level));
  PutLengthPrefixed(&out, m.smallest_key);
  PutLengthPrefixed(&out, m.largest_key);
  for (uint64_t v : {m.min_epoch, m.max_epoch, m.file_size, m.entry_count}) PutVarint64(&out, v);
  PutVarint64(&out, m.table_ids.size());
  for (uint32_t id : m.table_ids) PutVarint64(&out, id);
  return out;
}

Result<SstMeta> DecodeSstMeta(std::string_view in) {
  SstMeta m;
  uint64_t level = 0, n = 0;
  std::string_view smallest, largest;
  bool ok = TakeFormat(&in) && GetVarint64(&in, &m.object_id) && GetVarint64(&in, &level) &&
            GetLengthPrefixed(&in, &smallest) && GetLengthPrefixed(&in, &largest);
  for (uint64_t* v : {&m.min_epoch, &m.max_epoch, &m.file_size, &m.entry_count, &n}) {
    ok = ok && GetVarint64(&in, v);
  }
  if (!ok || n > in.size()) return Malformed("SST");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (!GetVarint64(&in, &id)) return Malformed("SST");
    m.table_ids.push_back(static_cast<uint32_t>(id));
  }
  m.level = static_cast<int>(level);
  m.smallest_key = smallest;
  m.largest_key = largest;
  return m;
}

std::string EncodeVersionHeader(const VersionHeader& h) {
  std::string out(1, kFormat);
  PutVarint64(&out, h.version_id);
  PutVarint64(&out, h.max_committed_epoch);
  return out;
}

Result<VersionHeader> DecodeVersionHeader(std::string_view in) {
  VersionHeader h;
  if (!TakeFormat(&in) || !GetVarint64(&in, &h.version_id) ||
      !GetVarint64(&in, &h.max_committed_epoch)) {
    return Malformed("storage version");
  }
  return h;
}

std::string EncodeTableRecord(const TableInfo& t) {
  std::string out(1, kFormat);
  PutVarint64(&out, t.id);
  PutLengthPrefixed(&out, t.name);
  PutVarint64(&out, t.created_epoch);
  PutVarint64(&out, t.dropped_epoch);
  return out;
}

Result<TableInfo> DecodeTableRecord(std::string_view in) {
  TableInfo t;
  uint64_t id = 0;
  std::string_view name;
  if (!TakeFormat(&in) || !GetVarint64(&in, &id) || !GetLengthPrefixed(&in, &name) ||
      !GetVarint64(&in, &t.created_epoch) || !GetVarint64(&in, &t.dropped_epoch)) {
    return Malformed("table record");
  }
  t.id = static_cast<uint32_t>(id);
  t.name = name;
  return t;
}

Result<uint64_t> DecodeDecimal(std::string_view key, std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::Corruption("meta key " + std::string(key) + " holds a non-number");
  }
  return v;
}

std::string SstObjectKey(uint64_t object_id) {
  return std::string(kSstObjectPrefix) + keys::Hex16(object_id) + ".sst";
}

bool ParseSstObjectKey(std::string_view key, uint64_t* object_id) {
  constexpr std::string_view kPrefix = kSstObjectPrefix, kSuffix = ".sst";
  if (key.size() != kPrefix.size() + 16 + kSuffix.size() || !key.starts_with(kPrefix) ||
      !key.ends_with(kSuffix)) {
    return false;
  }
  std::string_view hex = key.substr(kPrefix.size(), 16);
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), *object_id, 16);
  return ec == std::errc() && end == hex.data() + hex.size();
}

}  // namespace cairn
