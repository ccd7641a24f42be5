#include "meta/restore_marker.h"

#include "meta/keys.h"

namespace cairn {

Op PutRestoreMarker(const std::string& what) {
  return Op::Put(std::string(keys::kRestoreMarker), what);
}

Op DeleteRestoreMarker() { return Op::Delete(std::string(keys::kRestoreMarker)); }

Result<std::optional<std::string>> ReadRestoreMarker(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, store->Get(keys::kRestoreMarker));
  if (!kv) return std::optional<std::string>();
  return std::optional<std::string>(kv->value);
}

Status CheckNoUnfinishedRestore(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto marker, ReadRestoreMarker(store));
  if (!marker) return Status::OK();
  return Status::FailedPrecondition("restore into " + store->DescribeForLog() +
                                    " did not finish (" + *marker +
                                    "); rerun cairn restore with the same arguments");
}

}  // namespace cairn
