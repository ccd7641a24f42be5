#include "server/metrics.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(MetricsTest, RendersClusterStatsAndRpcCounters) {
  Metrics metrics;
  metrics.RecordRpc("Kv.Put", true);
  metrics.RecordRpc("Kv.Put", false);
  metrics.RecordRpc("Tables.List", true);
  ClusterStats stats;
  stats.version_id = 12;
  stats.committed_epoch = 345;
  stats.levels = {{0, 3, 3000}, {1, 1, 9000}};
  stats.checkpoints = 7;
  stats.last_checkpoint_ms = 2.5;
  stats.compactions = 2;
  stats.compactions_running = 2;
  stats.vacuum_deleted = 4;
  stats.checkpoint_failures = {9, 3, 0, "IOError: x"};
  stats.compaction_failures = {1, 0, 0, ""};
  stats.write_stall = 2;
  stats.write_stops = 3;
  stats.unflushed_bytes = 5000;
  std::string text = metrics.Render(stats, 99);
  for (const char* line : {"cairn_version_id 12\n",
                           "cairn_committed_epoch 345\n",
                           "cairn_changelog_seq 99\n",
                           "cairn_sst_count{level=\"0\"} 3\n",
                           "cairn_sst_bytes{level=\"1\"} 9000\n",
                           "cairn_checkpoints_total 7\n",
                           "cairn_checkpoint_last_duration_ms 2.5\n",
                           "cairn_compactions_total 2\n",
                           "cairn_compactions_running 2\n",
                           "cairn_vacuum_deleted_objects_total 4\n",
                           "cairn_checkpoint_failures_total 9\n",
                           "cairn_checkpoint_failing 3\n",
                           "cairn_compaction_failures_total 1\n",
                           "cairn_compaction_failing 0\n",
                           "cairn_rpc_requests_total{method=\"Kv.Put\"} 2\n",
                           "cairn_write_stall 2\n",
                           "cairn_write_stops_total 3\n",
                           "cairn_unflushed_bytes 5000\n",
                           "cairn_rpc_errors_total{method=\"Kv.Put\"} 1\n",
                           "cairn_rpc_errors_total{method=\"Tables.List\"} 0\n",
                           "# TYPE cairn_rpc_requests_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace cairn::server
