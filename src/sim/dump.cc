#include "sim/dump.h"

#include "common/random.h"
#include "meta/params.h"
#include "meta/users.h"

namespace cairn::sim {

Result<ClientState> DumpCluster(Cluster* cluster, MetaWriter* writer) {
  ClientState state;
  CAIRN_ASSIGN_OR_RETURN(auto tables, cluster->ListTables());
  for (const TableInfo& t : tables) {
    auto rows = std::make_shared<Rows>();
    CAIRN_ASSIGN_OR_RETURN(auto it, cluster->Scan(t.id, "", ""));
    for (; it->Valid(); it->Next()) (*rows)[std::string(it->key())] = std::string(it->value());
    CAIRN_RETURN_IF_ERROR(it->status().WithContext("scan of table " + t.name));
    state.tables[t.name] = TableState{t.id, std::move(rows)};
  }
  CAIRN_ASSIGN_OR_RETURN(auto users, Users(writer).List());
  for (const auto& u : users) state.users.insert(u.name);
  CAIRN_ASSIGN_OR_RETURN(auto params, SystemParams(writer).List());
  for (const auto& p : params) {
    if (!p.is_default) state.params[p.name] = p.value;
  }
  return state;
}

Result<ClientState> DumpFresh(MetaStore* meta, ObjectStore* objects, Clock* clock) {
  MetaWriter writer(meta, clock);
  CAIRN_RETURN_IF_ERROR(writer.Open());
  ClusterOptions options;
  options.clock = clock;
  options.background_threads = false;
  options.block_cache_bytes = 1 << 20;
  CAIRN_ASSIGN_OR_RETURN(auto cluster, Cluster::Open(&writer, objects, options));
  auto state = DumpCluster(cluster.get(), &writer);
  (void)cluster->Close();
  return state;
}

}  // namespace cairn::sim
