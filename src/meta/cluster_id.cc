#include "meta/cluster_id.h"

#include <charconv>

#include "meta/keys.h"

namespace cairn {

Result<std::string> EnsureClusterId(MetaWriter* writer, Random* random) {
  std::string key(keys::kClusterId);
  for (int attempt = 0; attempt < 2; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(auto kv, writer->store()->Get(key));
    if (kv) return kv->value;
    std::string id = keys::Hex16(random->Next()) + keys::Hex16(random->Next());
    Txn txn;
    txn.compares.push_back(Compare::Absent(key));
    txn.ops.push_back(Op::Put(key, id));
    auto committed = writer->Commit(std::move(txn));
    if (committed.ok()) return id;
    if (!committed.status().IsConflict()) return committed.status();
  }
  return Status::Conflict("cluster id: could not create or read " + key);
}

Result<uint32_t> ReadClusterTimeline(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, store->Get(keys::kClusterTimeline));
  if (!kv) return uint32_t{1};
  uint32_t timeline = 0;
  auto [end, ec] = std::from_chars(kv->value.data(), kv->value.data() + kv->value.size(), timeline);
  if (ec != std::errc() || end != kv->value.data() + kv->value.size() || timeline == 0) {
    return Status::Corruption("meta key " + std::string(keys::kClusterTimeline) + " holds '" +
                              kv->value + "', not a timeline number");
  }
  return timeline;
}

}  // namespace cairn
