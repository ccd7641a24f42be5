#include "object_store/fault_object_store.h"

#include <utility>

namespace cairn {

const char* ObjectOpName(ObjectOp op) {
  switch (op) {
    case ObjectOp::kPut:
      return "put";
    case ObjectOp::kNewWriter:
      return "new writer";
    case ObjectOp::kAppend:
      return "writer append";
    case ObjectOp::kFinish:
      return "writer finish";
    case ObjectOp::kGet:
      return "get";
    case ObjectOp::kGetRange:
      return "get range";
    case ObjectOp::kHead:
      return "head";
    case ObjectOp::kDelete:
      return "delete";
    case ObjectOp::kList:
      return "list";
  }
  return "unknown";
}

// Runs one op through the wrapper's decision: latency, refusal, apply, lost ack.
class FaultRunner {
 public:
  template <typename Fn>
  static auto Run(FaultInjectingObjectStore* store, ObjectOp op, std::string_view key, Fn&& fn)
      -> decltype(fn()) {
    FaultInjectingObjectStore::Decision d = store->Decide(op);
    if (d.latency_ms > 0) store->clock_->SleepMillis(d.latency_ms);
    if (d.dead || (d.fail && d.point == FaultPoint::kBeforeApply)) {
      return store->InjectedError(d, op, key);
    }
    auto result = fn();
    if (d.fail) return store->InjectedError(d, op, key);
    return result;
  }
};

namespace {

class FaultObjectWriter final : public ObjectWriter {
 public:
  FaultObjectWriter(FaultInjectingObjectStore* store, std::unique_ptr<ObjectWriter> base,
                    std::string_view key)
      : store_(store), base_(std::move(base)), key_(key) {}

  Status Append(std::string_view data) override {
    return FaultRunner::Run(store_, ObjectOp::kAppend, key_, [&] { return base_->Append(data); });
  }
  Status Finish() override {
    return FaultRunner::Run(store_, ObjectOp::kFinish, key_, [&] { return base_->Finish(); });
  }
  void Abort() override { base_->Abort(); }
  uint64_t bytes_written() const override { return base_->bytes_written(); }

 private:
  FaultInjectingObjectStore* store_;
  std::unique_ptr<ObjectWriter> base_;
  std::string key_;
};

}  // namespace

FaultInjectingObjectStore::FaultInjectingObjectStore(ObjectStore* base, uint64_t seed, Clock* clock)
    : base_(base), clock_(clock ? clock : SystemClock::Default()), random_(seed) {
  faulty_.fill(true);
}

FaultInjectingObjectStore::FaultInjectingObjectStore(std::unique_ptr<ObjectStore> base,
                                                     uint64_t seed, Clock* clock)
    : FaultInjectingObjectStore(base.get(), seed, clock) {
  owned_ = std::move(base);
}

void FaultInjectingObjectStore::SetFailureRate(double before_apply, double after_apply) {
  std::lock_guard lock(mu_);
  fail_before_ = before_apply;
  fail_after_ = after_apply;
}

void FaultInjectingObjectStore::SetLatency(int64_t min_ms, int64_t max_ms, double probability) {
  std::lock_guard lock(mu_);
  latency_min_ms_ = min_ms;
  latency_max_ms_ = std::max(min_ms, max_ms);
  latency_probability_ = probability;
}

void FaultInjectingObjectStore::SetFaultyOps(std::vector<ObjectOp> ops) {
  std::lock_guard lock(mu_);
  faulty_.fill(false);
  for (ObjectOp op : ops) faulty_[static_cast<size_t>(op)] = true;
}

void FaultInjectingObjectStore::FailNext(uint64_t n, FaultPoint point) {
  std::lock_guard lock(mu_);
  fail_next_ = n;
  fail_next_point_ = point;
}

void FaultInjectingObjectStore::FailAtOp(uint64_t op_number, FaultPoint point) {
  std::lock_guard lock(mu_);
  fail_at_[op_number] = point;
}

void FaultInjectingObjectStore::CrashAtOp(uint64_t op_number, FaultPoint point) {
  std::lock_guard lock(mu_);
  crash_at_ = op_number;
  crash_point_ = point;
}

void FaultInjectingObjectStore::Crash() {
  std::lock_guard lock(mu_);
  if (!crashed_) crashed_at_op_ = ops_;
  crashed_ = true;
}

void FaultInjectingObjectStore::Reset() {
  std::lock_guard lock(mu_);
  fail_before_ = fail_after_ = latency_probability_ = 0;
  fail_next_ = crash_at_ = crashed_at_op_ = 0;
  fail_at_.clear();
  crashed_ = false;
  faulty_.fill(true);
}

bool FaultInjectingObjectStore::crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}

uint64_t FaultInjectingObjectStore::op_count() const {
  std::lock_guard lock(mu_);
  return ops_;
}

uint64_t FaultInjectingObjectStore::op_count(ObjectOp op) const {
  std::lock_guard lock(mu_);
  return op_counts_[static_cast<size_t>(op)];
}

uint64_t FaultInjectingObjectStore::injected_failures() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::vector<FaultEvent> FaultInjectingObjectStore::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

bool FaultInjectingObjectStore::Draw(double probability) {
  constexpr uint64_t kScale = 1'000'000;
  return random_.Uniform(kScale) < static_cast<uint64_t>(probability * kScale);
}

FaultInjectingObjectStore::Decision FaultInjectingObjectStore::Decide(ObjectOp op) {
  std::lock_guard lock(mu_);
  Decision d;
  d.op_number = ++ops_;
  ++op_counts_[static_cast<size_t>(op)];
  if (crashed_) {
    d.dead = true;
    return d;
  }
  if (latency_probability_ > 0 && Draw(latency_probability_)) {
    uint64_t span = static_cast<uint64_t>(latency_max_ms_ - latency_min_ms_) + 1;
    d.latency_ms = latency_min_ms_ + static_cast<int64_t>(random_.Uniform(span));
  }
  auto scripted = fail_at_.find(d.op_number);
  if (d.op_number == crash_at_) {
    crashed_ = true;
    crashed_at_op_ = d.op_number;
    d.fail = true;
    d.point = crash_point_;
  } else if (scripted != fail_at_.end()) {
    d.fail = true;
    d.point = scripted->second;
    fail_at_.erase(scripted);
  } else if (faulty_[static_cast<size_t>(op)]) {
    if (fail_next_ > 0) {
      --fail_next_;
      d.fail = true;
      d.point = fail_next_point_;
    } else if (fail_before_ > 0 && Draw(fail_before_)) {
      d.fail = true;
      d.point = FaultPoint::kBeforeApply;
    } else if (fail_after_ > 0 && Draw(fail_after_)) {
      d.fail = true;
      d.point = FaultPoint::kAfterApply;
    }
  }
  if (d.fail) events_.push_back(FaultEvent{d.op_number, op, d.point});
  return d;
}

Status FaultInjectingObjectStore::InjectedError(const Decision& d, ObjectOp op,
                                                std::string_view key) const {
  std::string what = std::string(ObjectOpName(op)) + " " + QuoteObjectKey(key) + " (op #" +
                     std::to_string(d.op_number) + ")";
  if (d.dead) {
    return Status::IOError("injected crash: " + what + " refused, the object store died at op #" +
                           std::to_string(crashed_at_op_));
  }
  bool after = d.point == FaultPoint::kAfterApply;
  return Status::IOError("injected fault: " + what +
                         (after ? " failed after it was applied" : " failed before apply"));
}

Status FaultInjectingObjectStore::Put(std::string_view key, std::string_view data) {
  return FaultRunner::Run(this, ObjectOp::kPut, key, [&] { return base_->Put(key, data); });
}

Status FaultInjectingObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  return FaultRunner::Run(this, ObjectOp::kPut, key, [&] { return base_->PutIfAbsent(key, data); });
}

Result<std::unique_ptr<ObjectWriter>> FaultInjectingObjectStore::NewWriter(std::string_view key,
                                                                           WriteMode mode) {
  return FaultRunner::Run(this, ObjectOp::kNewWriter, key,
                          [&]() -> Result<std::unique_ptr<ObjectWriter>> {
                            CAIRN_ASSIGN_OR_RETURN(auto writer, base_->NewWriter(key, mode));
                            return std::unique_ptr<ObjectWriter>(
                                std::make_unique<FaultObjectWriter>(this, std::move(writer), key));
                          });
}

Result<std::string> FaultInjectingObjectStore::Get(std::string_view key) {
  return FaultRunner::Run(this, ObjectOp::kGet, key, [&] { return base_->Get(key); });
}

Result<std::string> FaultInjectingObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                        uint64_t length) {
  return FaultRunner::Run(this, ObjectOp::kGetRange, key,
                          [&] { return base_->GetRange(key, offset, length); });
}

Result<ObjectMeta> FaultInjectingObjectStore::Head(std::string_view key) {
  return FaultRunner::Run(this, ObjectOp::kHead, key, [&] { return base_->Head(key); });
}

Status FaultInjectingObjectStore::Delete(std::string_view key) {
  return FaultRunner::Run(this, ObjectOp::kDelete, key, [&] { return base_->Delete(key); });
}

Result<ListPage> FaultInjectingObjectStore::List(std::string_view prefix, std::string_view token,
                                                 size_t limit) {
  return FaultRunner::Run(this, ObjectOp::kList, prefix,
                          [&] { return base_->List(prefix, token, limit); });
}

std::string FaultInjectingObjectStore::DescribeForLog() const {
  return "fault(" + base_->DescribeForLog() + ")";
}

}  // namespace cairn
