#include "sst/properties.h"

#include "common/coding.h"

namespace cairn::sst {

std::string EncodeProperties(const TableProperties& p) {
  std::string out;
  PutLengthPrefixed(&out, p.smallest_key);
  PutLengthPrefixed(&out, p.largest_key);
  for (uint64_t v : {p.min_epoch, p.max_epoch, p.entry_count, p.delete_count, p.data_block_count,
                     p.raw_key_bytes, p.raw_value_bytes}) {
    PutVarint64(&out, v);
  }
  PutVarint64(&out, p.table_ids.size());
  for (uint32_t id : p.table_ids) PutVarint64(&out, id);
  return out;
}

Result<TableProperties> DecodeProperties(std::string_view in, const std::string& what) {
  TableProperties p;
  std::string_view smallest, largest;
  uint64_t n = 0;
  bool ok = GetLengthPrefixed(&in, &smallest) && GetLengthPrefixed(&in, &largest);
  for (uint64_t* v : {&p.min_epoch, &p.max_epoch, &p.entry_count, &p.delete_count,
                      &p.data_block_count, &p.raw_key_bytes, &p.raw_value_bytes, &n}) {
    ok = ok && GetVarint64(&in, v);
  }
  if (!ok || n > in.size()) return Status::Corruption(what + ": bad properties block");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (!GetVarint64(&in, &id)) return Status::Corruption(what + ": bad properties block");
    p.table_ids.push_back(static_cast<uint32_t>(id));
  }
  p.smallest_key = smallest;
  p.largest_key = largest;
  return p;
}

}  // namespace cairn::sst
