// FailureLog: the failures of one kind of background work (checkpoints, compactions,
// archiving) for metrics and /healthz, logged once a minute while they keep happening,
// not once per attempt, and once more when the work succeeds again.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace cairn {

struct FailureState {
  uint64_t total = 0;        // failures since start
  uint64_t consecutive = 0;  // failures since the last success (0 = healthy)
  int64_t since_ms = 0;      // when the current run of failures began
  std::string last_error;    // of the last failure (empty when healthy)
};

class FailureLog {
 public:
  // `what` names the work in log lines ("checkpoint", "compaction").
  FailureLog(std::string what, Clock* clock, int64_t log_every_ms = 60'000);

  void Failed(const Status& status);
  void Succeeded();
  FailureState state() const;

 private:
  const std::string what_;
  Clock* const clock_;
  const int64_t log_every_ms_;
  mutable std::mutex mu_;
  FailureState state_;
  int64_t logged_ms_ = 0;
};

}  // namespace cairn
