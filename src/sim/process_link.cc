#include "sim/process_link.h"

namespace cairn::sim {
namespace {

using Gate = LinkState::Gate;

class LinkSnapshot final : public MetaSnapshot {
 public:
  LinkSnapshot(std::unique_ptr<MetaSnapshot> base, std::shared_ptr<LinkState> state)
      : base_(std::move(base)), state_(std::move(state)) {}
  int64_t revision() const override { return base_->revision(); }
  Result<std::optional<KeyValue>> Get(std::string_view key) override {
    if (state_->Next() != Gate::kPass) return DeadProcessError("meta read");
    return base_->Get(key);
  }
  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override {
    if (state_->Next() != Gate::kPass) return DeadProcessError("meta range read");
    return base_->Range(begin, end, limit);
  }

 private:
  std::unique_ptr<MetaSnapshot> base_;
  std::shared_ptr<LinkState> state_;
};

class LinkWriter final : public ObjectWriter {
 public:
  LinkWriter(std::unique_ptr<ObjectWriter> base, std::shared_ptr<LinkState> state)
      : base_(std::move(base)), state_(std::move(state)) {}
  Status Append(std::string_view data) override {
    if (state_->Next() != Gate::kPass) return DeadProcessError("writer append");
    return base_->Append(data);
  }
  Status Finish() override {
    Gate gate = state_->Next();
    if (gate == Gate::kFail) return DeadProcessError("writer finish");
    Status s = base_->Finish();
    return gate == Gate::kApplyThenFail ? DeadProcessError("writer finish") : s;
  }
  void Abort() override { base_->Abort(); }
  uint64_t bytes_written() const override { return base_->bytes_written(); }

 private:
  std::unique_ptr<ObjectWriter> base_;
  std::shared_ptr<LinkState> state_;
};

// Runs a mutating call under the gate: refused, applied, or applied and then lost.
template <typename Fn>
auto Mutate(LinkState* state, std::string_view what, Fn&& fn) -> decltype(fn()) {
  Gate gate = state->Next();
  if (gate == Gate::kFail) return DeadProcessError(what);
  auto result = fn();
  if (gate == Gate::kApplyThenFail) return DeadProcessError(what);
  return result;
}

}  // namespace

Status DeadProcessError(std::string_view what) {
  return Status::IOError("simulated process crash: " + std::string(what) +
                         " refused, the process is gone");
}

LinkState::Gate LinkState::Next() {
  std::lock_guard lock(mu_);
  if (dead_) return Gate::kFail;
  if (countdown_ == 0) {
    countdown_ = -1;
    dead_ = true;
    crashed_mid_op_ = true;
    return after_apply_ ? Gate::kApplyThenFail : Gate::kFail;
  }
  if (countdown_ > 0) --countdown_;
  return Gate::kPass;
}

void LinkState::Kill() {
  std::lock_guard lock(mu_);
  dead_ = true;
}

bool LinkState::dead() const {
  std::lock_guard lock(mu_);
  return dead_;
}

void LinkState::ArmCrash(int64_t ops, bool after_apply) {
  std::lock_guard lock(mu_);
  countdown_ = ops;
  after_apply_ = after_apply;
}

void LinkState::Disarm() {
  std::lock_guard lock(mu_);
  countdown_ = -1;
}

bool LinkState::crashed_mid_op() const {
  std::lock_guard lock(mu_);
  return crashed_mid_op_;
}

void LinkState::set_faults(bool on) {
  std::lock_guard lock(mu_);
  faults_ = on;
}

bool LinkState::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

Result<std::unique_ptr<MetaSnapshot>> ProcessMetaLink::Snapshot() {
  if (state_->Next() != Gate::kPass) return DeadProcessError("meta snapshot");
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, target()->Snapshot());
  return std::unique_ptr<MetaSnapshot>(std::make_unique<LinkSnapshot>(std::move(snapshot), state_));
}

Result<int64_t> ProcessMetaLink::Commit(const Txn& txn) {
  return Mutate(state_.get(), "meta commit", [&] { return target()->Commit(txn); });
}

Status ProcessObjectLink::Put(std::string_view key, std::string_view data) {
  return Mutate(state_.get(), "put", [&] { return target()->Put(key, data); });
}

Status ProcessObjectLink::PutIfAbsent(std::string_view key, std::string_view data) {
  return Mutate(state_.get(), "put", [&] { return target()->PutIfAbsent(key, data); });
}

Result<std::unique_ptr<ObjectWriter>> ProcessObjectLink::NewWriter(std::string_view key,
                                                                   WriteMode mode) {
  if (state_->Next() != Gate::kPass) return DeadProcessError("new writer");
  CAIRN_ASSIGN_OR_RETURN(auto writer, target()->NewWriter(key, mode));
  return std::unique_ptr<ObjectWriter>(std::make_unique<LinkWriter>(std::move(writer), state_));
}

Result<std::string> ProcessObjectLink::Get(std::string_view key) {
  if (state_->Next() != Gate::kPass) return DeadProcessError("get");
  return target()->Get(key);
}

Result<std::string> ProcessObjectLink::GetRange(std::string_view key, uint64_t offset,
                                                uint64_t length) {
  if (state_->Next() != Gate::kPass) return DeadProcessError("get range");
  return target()->GetRange(key, offset, length);
}

Result<ObjectMeta> ProcessObjectLink::Head(std::string_view key) {
  if (state_->Next() != Gate::kPass) return DeadProcessError("head");
  return target()->Head(key);
}

Status ProcessObjectLink::Delete(std::string_view key) {
  return Mutate(state_.get(), "delete", [&] { return target()->Delete(key); });
}

Result<ListPage> ProcessObjectLink::List(std::string_view prefix, std::string_view token,
                                         size_t limit) {
  if (state_->Next() != Gate::kPass) return DeadProcessError("list");
  return target()->List(prefix, token, limit);
}

}  // namespace cairn::sim
