// Reads what a client can see of a cluster into a ClientState: every live table and
// its rows (a full scan), the users, the params set explicitly. Any read error is
// returned: with faults off, a healthy cluster must answer every read.
#pragma once

#include "common/result.h"
#include "meta/meta_writer.h"
#include "sim/model_state.h"
#include "storage/cluster.h"

namespace cairn::sim {

Result<ClientState> DumpCluster(Cluster* cluster, MetaWriter* writer);

// Opens a cluster on `meta` and `objects` only to read it (no background threads, no
// writes), dumps it and closes it: what a fresh server would serve.
Result<ClientState> DumpFresh(MetaStore* meta, ObjectStore* objects, Clock* clock);

}  // namespace cairn::sim
