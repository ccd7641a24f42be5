// WriteController: write backpressure (docs/storage.md, "Backpressure"). Classifies the
// engine's backlog — L0 SSTs not yet compacted and memtable bytes not yet checkpointed
// — into none, slowdown (each write is delayed) or stop (writes wait, then fail with
// Busy), and logs a stall at most once a minute. Not thread-safe: the cluster calls it under its
// mutex.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"

namespace cairn {

struct WriteStallOptions {
  uint64_t level0_slowdown_writes_trigger = 36;
  uint64_t level0_stop_writes_trigger = 52;
  uint64_t unflushed_slowdown_bytes = 256ull << 20;
  uint64_t unflushed_stop_bytes = 512ull << 20;
  int64_t slowdown_delay_us = 1000;  // added to each write while slowed down
  int64_t stop_timeout_ms = 10000;   // a stopped write waits this long for the backlog
};

enum class WriteStall { kNone = 0, kSlowdown = 1, kStop = 2 };

class WriteController {
 public:
  WriteController(const WriteStallOptions& options, Clock* clock)
      : options_(options), clock_(clock) {}

  // The stall for this backlog; counts and logs transitions.
  WriteStall Update(uint64_t l0_ssts, uint64_t unflushed_bytes);

  WriteStall state() const { return state_; }
  // Why writes are slowed or stopped ("" when they are not), for errors and logs.
  const std::string& reason() const { return reason_; }
  uint64_t slowdowns() const { return slowdowns_; }  // entries into slowdown
  uint64_t stops() const { return stops_; }          // entries into stop
  const WriteStallOptions& options() const { return options_; }

 private:
  const WriteStallOptions options_;
  Clock* const clock_;
  WriteStall state_ = WriteStall::kNone;
  std::string reason_;
  uint64_t slowdowns_ = 0;
  uint64_t stops_ = 0;
  bool logged_ = false;
  int64_t last_log_ms_ = 0;
};

}  // namespace cairn
