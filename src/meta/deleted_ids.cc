#include "meta/deleted_ids.h"

#include <charconv>
#include <string>

namespace cairn {

Result<uint64_t> ReadMaxDeletedObjectId(ObjectStore* store) {
  auto bytes = store->Get(kDeletedIdsKey);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) return uint64_t{0};
    return bytes.status();
  }
  std::string_view text = *bytes;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::Corruption(std::string(kDeletedIdsKey) + " in " + store->DescribeForLog() +
                              " is damaged (not a decimal object id)");
  }
  return id;
}

Status RaiseMaxDeletedObjectId(ObjectStore* store, uint64_t id) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t recorded, ReadMaxDeletedObjectId(store));
  if (recorded >= id) return Status::OK();
  return store->Put(kDeletedIdsKey, std::to_string(id) + "\n");
}

}  // namespace cairn
