// Server metrics in the Prometheus text format (docs/server.md lists every name).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "storage/cluster.h"

namespace cairn::server {

class Metrics {
 public:
  void RecordRpc(const std::string& method, bool ok);

  // The exposition text: RPC counters plus the cluster's stats.
  std::string Render(const ClusterStats& stats, uint64_t changelog_seq);

 private:
  struct RpcCount {
    uint64_t requests = 0;
    uint64_t errors = 0;
  };
  std::mutex mu_;
  std::map<std::string, RpcCount> rpcs_;
};

}  // namespace cairn::server
