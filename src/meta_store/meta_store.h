// MetaStore: an ordered, transactional key/value store with consistent snapshot
// reads at one revision (design.md §2). Every piece of cairn metadata lives here.
//
// Model (the same for every implementation, checked by the conformance suite):
// - the store has one revision counter; every successful Commit() that writes
//   anything bumps it by exactly one and stamps each written key with it
//   (mod_revision);
// - a Snapshot reads the whole store as of one revision and never sees later commits;
// - Commit applies all compares, then (if every compare holds) all ops, atomically.
//   Ops apply in order (a later op on the same key wins). A commit with at least one
//   op counts as writing, even when its deletes find nothing.
// Implementations: sqlite:// (embedded default), postgres://, etcd://, mem://, and a
// fault-injecting wrapper. Open one by URL with OpenMetaStore().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cairn {

class Clock;

// Documented limits, enforced by ValidateTxn for every implementation.
inline constexpr size_t kMaxMetaKeySize = 4 * 1024;
inline constexpr size_t kMaxMetaValueSize = 32 * 1024 * 1024;

struct KeyValue {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;  // revision of the commit that last wrote the key
};

struct Compare {
  enum class Kind {
    kRevisionEquals,  // key's mod_revision == revision (0 means "key absent")
    kValueEquals,     // key exists and its value == value
    kExists,
    kAbsent,
  };
  Kind kind;
  std::string key;
  int64_t revision = 0;
  std::string value;

  static Compare RevisionEquals(std::string k, int64_t rev) {
    return {Kind::kRevisionEquals, std::move(k), rev, {}};
  }
  static Compare ValueEquals(std::string k, std::string v) {
    return {Kind::kValueEquals, std::move(k), 0, std::move(v)};
  }
  static Compare Exists(std::string k) { return {Kind::kExists, std::move(k), 0, {}}; }
  static Compare Absent(std::string k) { return {Kind::kAbsent, std::move(k), 0, {}}; }
};

struct Op {
  enum class Kind {
    kPut,
    kDelete,       // no-op when the key is absent
    kDeleteRange,  // every key in [key, end); end == "" means no upper bound
  };
  Kind kind;
  std::string key;
  std::string value;  // kPut
  std::string end;    // kDeleteRange

  static Op Put(std::string k, std::string v) {
    return {Kind::kPut, std::move(k), std::move(v), {}};
  }
  static Op Delete(std::string k) { return {Kind::kDelete, std::move(k), {}, {}}; }
  static Op DeleteRange(std::string begin, std::string end) {
    return {Kind::kDeleteRange, std::move(begin), {}, std::move(end)};
  }
};

struct Txn {
  std::vector<Compare> compares;
  std::vector<Op> ops;
};

// InvalidArgument when a key/value exceeds the limits or a key is empty.
Status ValidateTxn(const Txn& txn);

// The smallest key greater than every key starting with `prefix` ("" = no bound).
std::string PrefixEnd(std::string_view prefix);

// A read-only view of the whole store at one revision.
class MetaSnapshot {
 public:
  virtual ~MetaSnapshot() = default;
  virtual int64_t revision() const = 0;
  virtual Result<std::optional<KeyValue>> Get(std::string_view key) = 0;
  // Keys in [begin, end) in ascending byte order, at most `limit` (>0).
  // end == "" means no upper bound. Page by calling again with begin = last key + '\0'.
  virtual Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                              size_t limit) = 0;
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  virtual Result<std::unique_ptr<MetaSnapshot>> Snapshot() = 0;

  // Returns the new revision (or the current one when `txn` has no ops).
  // Conflict when a compare does not hold; nothing is written then.
  virtual Result<int64_t> Commit(const Txn& txn) = 0;

  virtual std::string DescribeForLog() const = 0;

  // How large one transaction may be on this store, for bulk writers (restore) that
  // split their work into transactions. Stores with server-side limits override.
  struct TxnLimits {
    size_t max_ops;
    size_t max_bytes;
  };
  virtual TxnLimits BulkTxnLimits() const { return {16384, 16 << 20}; }

  // A store that this object creates at its first write (lazy_meta_store.h) is removed
  // again by RemoveCreated once it is empty, so that nothing of it is left (sqlite: the
  // file). CanUndoCreate is false only while such a store is not created yet and could
  // not be removed (PostgreSQL tables). Every other store: true, and nothing to remove.
  virtual bool CanUndoCreate() const { return true; }
  virtual Status RemoveCreated() { return Status::OK(); }

  // Convenience reads at the latest revision.
  Result<std::optional<KeyValue>> Get(std::string_view key);
  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end, size_t limit);
};

struct MetaStoreOptions {
  Clock* clock = nullptr;  // nullptr = SystemClock::Default()
  // false: NotFound instead of creating a store that does not exist yet (the sqlite
  // file, the PostgreSQL tables), so that a refused restore creates nothing.
  bool create_if_missing = true;
};

// Opens sqlite://, mem://, postgres://, etcd:// URLs.
Result<std::unique_ptr<MetaStore>> OpenMetaStore(std::string_view url,
                                                 const MetaStoreOptions& options = {});

}  // namespace cairn
