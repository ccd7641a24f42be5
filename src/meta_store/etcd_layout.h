// How the etcd:// meta store lays cairn's keyspace out in etcd, and how a cairn
// transaction becomes an etcd one.
//
// Everything lives under the URL's prefix P (etcd://host:port/P; "" = the whole keyspace):
//   P/rev        the store's revision, decimal;
//   P/d/<key>    a cairn key; its etcd value is the cairn mod_revision (8 bytes,
//                big-endian) followed by the cairn value.
// cairn's model needs a revision that moves by exactly one per commit of this store,
// while etcd's revision is shared by every writer of the cluster (other prefixes,
// other applications), so the store keeps its own counter and stamps keys with it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

class EtcdLayout {
 public:
  // `path` is the URL path ("" or "/a/b"); the prefix is "/a/b/" (or "").
  explicit EtcdLayout(std::string_view path);

  std::string RevisionKey() const { return prefix_ + "rev"; }
  std::string DataKey(std::string_view key) const { return data_ + std::string(key); }
  // The etcd range_end for a cairn range end ("" = no upper bound).
  std::string DataEnd(std::string_view end) const;
  // The cairn key of an etcd key under the data prefix; Corruption otherwise.
  Result<std::string> CairnKey(std::string_view etcd_key) const;

 private:
  std::string prefix_;
  std::string data_;
};

std::string EncodeEtcdValue(int64_t mod_revision, std::string_view value);
// Corruption when `stored` is too short to hold a revision.
Result<KeyValue> DecodeEtcdValue(std::string key, std::string_view stored);

// etcd refuses a txn that puts a key twice or puts a key inside a range it deletes.
// cairn ops apply in order instead, so a txn is reduced to its net effect: the last
// put of each key whose last op is a put, and delete ranges carved around those keys.
struct EtcdWrites {
  struct Range {
    std::string begin;
    std::string end;  // "" = no upper bound
  };
  std::map<std::string, std::string_view> puts;  // views into the txn's ops
  std::vector<Range> deletes;
};
EtcdWrites NetEffect(const std::vector<Op>& ops);

}  // namespace cairn
