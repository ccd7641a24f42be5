// FaultInjectingObjectStore: wraps any ObjectStore and makes its operations fail, slow
// down, or die, reproducibly from a seed. For crash and error-path tests of the engine,
// backup and vacuum.
//
// Every call is one numbered op (1, 2, ...): Put, NewWriter, writer Append and Finish,
// Get, GetRange, Head, Delete, List. PutIfAbsent is a kPut op and a create-only writer's
// calls are kNewWriter/kAppend/kFinish ops: they take the same faults as their
// overwriting counterparts, and the base store's AlreadyExists passes through. Before
// running an op the wrapper decides its fate:
// - fail before apply: IOError, the base store is not touched;
// - fail after apply: the op runs on the base store, then IOError (a lost ack; for
//   reads this is just an error);
// - latency: Clock::SleepMillis before the op (a ManualClock just advances);
// - crash: the crash op fails (before or after apply) and every later op fails before
//   apply, like a dead process. Writer Abort always passes through.
// Scripted faults (FailNext, FailAtOp, CrashAtOp) take precedence over random ones. All decisions
// draw from one seeded Random under a lock, so a single-threaded run replays exactly.
//
// Typical crash test: run a workload once, read op_count(), then for each k in
// 1..op_count() run it again on a fresh base store with CrashAtOp(k) and check recovery
// on the base store.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "object_store/object_store.h"

namespace cairn {

enum class ObjectOp { kPut, kNewWriter, kAppend, kFinish, kGet, kGetRange, kHead, kDelete, kList };
inline constexpr size_t kNumObjectOps = 9;
const char* ObjectOpName(ObjectOp op);

enum class FaultPoint {
  kBeforeApply,  // nothing changes
  kAfterApply,   // the op takes effect, then fails
};

// One injected failure, in the order they happened.
struct FaultEvent {
  uint64_t op_number;
  ObjectOp op;
  FaultPoint point;
  bool operator==(const FaultEvent&) const = default;
};

class FaultInjectingObjectStore final : public ObjectStore {
 public:
  // Wraps `base`, which must outlive the wrapper (as the wrapper must outlive the
  // writers it returns). `clock` (nullptr = system clock) is
  // used for injected latency.
  FaultInjectingObjectStore(ObjectStore* base, uint64_t seed, Clock* clock = nullptr);
  // Wraps and owns `base`.
  FaultInjectingObjectStore(std::unique_ptr<ObjectStore> base, uint64_t seed,
                            Clock* clock = nullptr);

  // Each op fails before apply with probability `before_apply`, else after apply with
  // probability `after_apply` (both in [0, 1]).
  void SetFailureRate(double before_apply, double after_apply = 0);
  // Each op sleeps a uniform [min_ms, max_ms] with probability `probability`.
  void SetLatency(int64_t min_ms, int64_t max_ms, double probability = 1.0);
  // Restricts failures (random and FailNext, not crashes) to these ops; default: all.
  void SetFaultyOps(std::vector<ObjectOp> ops);
  // The next `n` faulty ops fail at `point`.
  void FailNext(uint64_t n, FaultPoint point = FaultPoint::kBeforeApply);
  // Op number `op_number` (counted from construction) fails at `point`, whatever its
  // kind; later ops run normally. May be called for several op numbers.
  void FailAtOp(uint64_t op_number, FaultPoint point = FaultPoint::kBeforeApply);
  // Op number `op_number` (counted from construction) fails at `point` and trips the
  // crash: every later op fails.
  void CrashAtOp(uint64_t op_number, FaultPoint point = FaultPoint::kBeforeApply);
  // Trips the crash now.
  void Crash();
  // Clears the crash, pending scripted faults and rates: the store works again.
  void Reset();

  bool crashed() const;
  uint64_t op_count() const;  // ops attempted, including failed ones
  uint64_t op_count(ObjectOp op) const;
  uint64_t injected_failures() const;  // excludes ops refused because of a crash
  std::vector<FaultEvent> events() const;

  ObjectStore* base() const { return base_; }

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectMeta> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override;
  std::string DescribeForLog() const override;

 private:
  friend class FaultRunner;

  // What happens to one op.
  struct Decision {
    uint64_t op_number = 0;
    int64_t latency_ms = 0;
    bool dead = false;  // crashed earlier: refuse before apply
    bool fail = false;
    FaultPoint point = FaultPoint::kBeforeApply;
  };
  Decision Decide(ObjectOp op);
  Status InjectedError(const Decision& decision, ObjectOp op, std::string_view key) const;
  bool Draw(double probability);

  std::unique_ptr<ObjectStore> owned_;
  ObjectStore* base_;
  Clock* clock_;

  mutable std::mutex mu_;
  Random random_;
  double fail_before_ = 0;
  double fail_after_ = 0;
  int64_t latency_min_ms_ = 0;
  int64_t latency_max_ms_ = 0;
  double latency_probability_ = 0;
  std::array<bool, kNumObjectOps> faulty_;
  std::map<uint64_t, FaultPoint> fail_at_;
  uint64_t fail_next_ = 0;
  FaultPoint fail_next_point_ = FaultPoint::kBeforeApply;
  uint64_t crash_at_ = 0;  // 0 = none
  FaultPoint crash_point_ = FaultPoint::kBeforeApply;
  bool crashed_ = false;
  uint64_t crashed_at_op_ = 0;
  uint64_t ops_ = 0;
  std::array<uint64_t, kNumObjectOps> op_counts_{};
  std::vector<FaultEvent> events_;
};

}  // namespace cairn
