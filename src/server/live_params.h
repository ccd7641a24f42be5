// LiveParams: the system params a running server applies at once (docs/server.md "Live
// params"): checkpoint_interval, pitr_retention, vacuum_min_age, vacuum_interval. Read
// from SystemParams at start and again after every `param set`; each Reload hands the
// values to the listeners (engine, archiver, schedulers). The stored param is the value
// in force: `param list` shows it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "meta/params.h"

namespace cairn::server {

struct LiveValues {
  int64_t checkpoint_interval_ms = 1000;
  int64_t pitr_retention_ms = 0;
  int64_t vacuum_min_age_ms = 0;
  int64_t vacuum_interval_ms = 0;
};

class LiveParams {
 public:
  explicit LiveParams(SystemParams* params) : params_(params) {}

  // Reads the params (no listener is called). Errors are the params' (Corruption).
  Status Load();
  // Load, then every listener with the new values.
  Status Reload();
  void OnChange(std::function<void(const LiveValues&)> listener);

  int64_t checkpoint_interval_ms() const { return checkpoint_interval_ms_.load(); }
  int64_t pitr_retention_ms() const { return pitr_retention_ms_.load(); }
  int64_t vacuum_interval_ms() const { return vacuum_interval_ms_.load(); }
  LiveValues values() const;

 private:
  SystemParams* const params_;
  std::mutex reload_mu_;  // one Reload at a time: listeners see the values in order
  std::atomic<int64_t> checkpoint_interval_ms_{1000};
  std::atomic<int64_t> pitr_retention_ms_{0};
  std::atomic<int64_t> vacuum_min_age_ms_{0};
  std::atomic<int64_t> vacuum_interval_ms_{0};
  std::vector<std::function<void(const LiveValues&)>> listeners_;  // set before serving
};

}  // namespace cairn::server
