// ClusterImpl::SetTunables: live param changes (docs/server.md "Live params").
#include <algorithm>

#include "common/epoch.h"
#include "storage/cluster_impl.h"

namespace cairn {

void ClusterImpl::SetTunables(const ClusterTunables& tunables) {
  int64_t now_ms = clock_->NowMillis();
  int64_t old_retention = pitr_retention_ms_.exchange(tunables.pitr_retention_ms);
  if (tunables.pitr_retention_ms > old_retention) {
    // What compaction and vacuum kept so far reaches back to now - old_retention only.
    int64_t floor = SaturatingSubMillis(now_ms, old_retention);
    int64_t current = retention_floor_ms_.load();
    while (floor > current && !retention_floor_ms_.compare_exchange_weak(current, floor)) {
    }
  }
  vacuum_min_age_ms_.store(tunables.vacuum_min_age_ms);
  if (checkpoint_interval_ms_.exchange(tunables.checkpoint_interval_ms) !=
      tunables.checkpoint_interval_ms) {
    // The loop is waiting with the old interval: checkpoint now, then wait the new one.
    std::lock_guard lock(mu_);
    flush_requested_ = true;
    checkpoint_cv_.notify_all();
  }
}

uint64_t ClusterImpl::ReadableEpoch() {
  return std::max(WatermarkEpoch(), MaxEpochAtMillis(retention_floor_ms_.load()));
}

// PrepareRead refuses an as-of epoch below both the committed epoch and ReadableEpoch.
uint64_t ClusterImpl::oldest_as_of_epoch() {
  uint64_t readable = ReadableEpoch();
  std::lock_guard lock(mu_);
  return std::min(committed_epoch_, readable);
}

}  // namespace cairn
