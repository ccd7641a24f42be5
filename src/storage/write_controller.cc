#include "storage/write_controller.h"

#include "common/logging.h"

namespace cairn {
namespace {

constexpr int64_t kLogIntervalMs = 60 * 1000;

}  // namespace

WriteStall WriteController::Update(uint64_t l0_ssts, uint64_t unflushed_bytes) {
  WriteStall next = WriteStall::kNone;
  std::string reason;
  auto check = [&](WriteStall level, bool over, std::string why) {
    if (over && level > next) {
      next = level;
      reason = std::move(why);
    }
  };
  std::string l0 = std::to_string(l0_ssts) + " L0 SSTs";
  std::string mem = std::to_string(unflushed_bytes) + " unflushed memtable bytes";
  check(WriteStall::kSlowdown, l0_ssts >= options_.level0_slowdown_writes_trigger,
        l0 + " (slowdown at " + std::to_string(options_.level0_slowdown_writes_trigger) + ")");
  check(WriteStall::kSlowdown, unflushed_bytes >= options_.unflushed_slowdown_bytes,
        mem + " (slowdown at " + std::to_string(options_.unflushed_slowdown_bytes) + ")");
  check(WriteStall::kStop, l0_ssts >= options_.level0_stop_writes_trigger,
        l0 + " (stop at " + std::to_string(options_.level0_stop_writes_trigger) + ")");
  check(WriteStall::kStop, unflushed_bytes >= options_.unflushed_stop_bytes,
        mem + " (stop at " + std::to_string(options_.unflushed_stop_bytes) + ")");
  int64_t now = clock_->NowMillis();
  bool entered = next > state_;
  if (entered && next == WriteStall::kSlowdown) ++slowdowns_;
  if (entered && next == WriteStall::kStop) ++stops_;
  // At most one line a minute, however often the state flaps.
  if (next != WriteStall::kNone && (!logged_ || now - last_log_ms_ >= kLogIntervalMs)) {
    logged_ = true;
    last_log_ms_ = now;
    CAIRN_LOG_WARN(
        "writes {}: {}; checkpoints or compactions are behind or failing ({} slowdowns, {} "
        "stops so far)",
        next == WriteStall::kStop ? "stopped" : "slowed down", reason, slowdowns_, stops_);
  }
  state_ = next;
  reason_ = std::move(reason);
  return next;
}

}  // namespace cairn
