#include "meta_store/etcd_commit_state.h"

#include "meta_store/store_util.h"

namespace cairn {
namespace {

bool InRange(const std::string& key, const EtcdWrites::Range& range) {
  return key >= range.begin && (range.end.empty() || key < range.end);
}

size_t ValueBytes(const EtcdCommitState& state) {
  size_t bytes = 0;
  for (const auto& [key, kv] : state.keys) bytes += key.size() + (kv ? kv->value.size() : 0);
  return bytes;
}

bool OverBudget(const EtcdCommitState& state) {
  return state.keys.size() > EtcdKnownState::kMaxKeys ||
         ValueBytes(state) > EtcdKnownState::kMaxBytes;
}

}  // namespace

bool IsEtcdExpressible(const Compare& compare) {
  switch (compare.kind) {
    case Compare::Kind::kAbsent:
    case Compare::Kind::kExists:
      return true;
    case Compare::Kind::kRevisionEquals:
      return compare.revision == 0;
    case Compare::Kind::kValueEquals:
      return false;
  }
  return false;
}

bool NeedsRead(const Txn& txn, const EtcdCommitState& state) {
  if (!state.valid) return true;
  for (const Compare& compare : txn.compares) {
    if (!IsEtcdExpressible(compare) && state.keys.find(compare.key) == state.keys.end()) {
      return true;
    }
  }
  return false;
}

Status EvaluateKnown(const Txn& txn, const EtcdCommitState& state) {
  for (const Compare& compare : txn.compares) {
    auto it = state.keys.find(compare.key);
    if (it != state.keys.end()) CAIRN_RETURN_IF_ERROR(EvaluateCompare(compare, it->second));
  }
  return Status::OK();
}

void ApplyWrites(const EtcdWrites& writes, int64_t next, int64_t etcd_revision,
                 EtcdCommitState* state) {
  for (auto& [key, kv] : state->keys) {
    auto put = writes.puts.find(key);
    if (put != writes.puts.end()) {
      kv = KeyValue{key, std::string(put->second), next};
      continue;
    }
    for (const EtcdWrites::Range& range : writes.deletes) {
      if (InRange(key, range)) kv.reset();
    }
  }
  state->revision = next;
  state->counter_mod_rev = etcd_revision;
  state->fresh = false;
}

EtcdCommitState EtcdKnownState::For(const Txn& txn) const {
  std::lock_guard<std::mutex> lock(mu_);
  EtcdCommitState out;
  out.valid = state_.valid;
  out.revision = state_.revision;
  out.counter_mod_rev = state_.counter_mod_rev;
  for (const Compare& compare : txn.compares) {
    auto it = state_.keys.find(compare.key);
    if (it != state_.keys.end()) out.keys.insert(*it);
  }
  return out;
}

void EtcdKnownState::Learn(const EtcdCommitState& state) {
  if (!state.valid) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (state_.valid && state.counter_mod_rev < state_.counter_mod_rev) return;
  if (state_.valid && state.counter_mod_rev == state_.counter_mod_rev) {
    for (const auto& entry : state.keys) state_.keys.insert_or_assign(entry.first, entry.second);
  } else {
    state_ = state;
  }
  state_.fresh = false;
  if (OverBudget(state_)) state_.keys = state.keys;
  if (OverBudget(state_)) state_.keys.clear();
}

void EtcdKnownState::Forget() {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = EtcdCommitState();
}

}  // namespace cairn
