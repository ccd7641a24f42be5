// What an etcd:// commit knows of its store's state: the counter (cairn revision and
// the counter key's etcd mod_revision M) and the state of some keys at M. Since every
// commit of the store moves the counter, this knowledge is exact as long as the
// counter's mod_revision is still M, which the commit's txn checks with its guard; so a
// commit that knows every key it compares needs no read before its txn.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "meta_store/etcd_layout.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct EtcdCommitState {
  bool valid = false;
  bool fresh = false;           // read by this commit (not remembered from an earlier one)
  int64_t revision = 0;         // cairn revision
  int64_t counter_mod_rev = 0;  // etcd mod_revision of the counter key, 0 = absent
  std::map<std::string, std::optional<KeyValue>, std::less<>> keys;  // cairn key -> state at M
};

// True for a compare that an etcd compare on create_revision expresses exactly
// (Absent, Exists, RevisionEquals 0), which needs no read of the key.
bool IsEtcdExpressible(const Compare& compare);
// True when `state` cannot serve `txn`: invalid, or a compare that is not etcd-expressible
// on a key whose state is not known.
bool NeedsRead(const Txn& txn, const EtcdCommitState& state);
// Evaluates the compares on known keys (the others are left to etcd).
Status EvaluateKnown(const Txn& txn, const EtcdCommitState& state);
// The state after `writes` committed as cairn revision `next` at etcd revision
// `etcd_revision`: the known keys that the writes touch are updated.
void ApplyWrites(const EtcdWrites& writes, int64_t next, int64_t etcd_revision,
                 EtcdCommitState* state);

// The newest state any commit of this store object saw, shared by its commits.
class EtcdKnownState {
 public:
  // What is known for `txn`: the counter and the states of the keys it compares.
  EtcdCommitState For(const Txn& txn) const;
  // Keeps `state` when it is newer than what is known (and merges keys when it is of
  // the same counter); bounded to kMaxKeys keys and kMaxBytes of values.
  void Learn(const EtcdCommitState& state);
  // After a call whose outcome is unknown (a timeout).
  void Forget();

  static constexpr size_t kMaxKeys = 256;
  static constexpr size_t kMaxBytes = 1 << 20;

 private:
  mutable std::mutex mu_;
  EtcdCommitState state_;  // guarded by mu_
};

}  // namespace cairn
