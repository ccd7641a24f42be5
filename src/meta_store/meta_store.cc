#include "meta_store/meta_store.h"

#include "meta_store/store_util.h"

namespace cairn {
namespace {

Status CheckKey(std::string_view key, std::string_view what) {
  if (key.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (key.size() > kMaxMetaKeySize) {
    return Status::InvalidArgument(std::string(what) + " " + EscapeKey(key) + " is " +
                                   std::to_string(key.size()) + " bytes, over the limit of " +
                                   std::to_string(kMaxMetaKeySize));
  }
  return Status::OK();
}

Status CheckOp(const Op& op) {
  CAIRN_RETURN_IF_ERROR(CheckKey(op.key, "meta key"));
  if (op.kind == Op::Kind::kPut && op.value.size() > kMaxMetaValueSize) {
    return Status::InvalidArgument("value of meta key " + EscapeKey(op.key) + " is " +
                                   std::to_string(op.value.size()) + " bytes, over the limit of " +
                                   std::to_string(kMaxMetaValueSize));
  }
  // DeleteRange's end may be empty (no upper bound) but not oversized.
  if (op.kind == Op::Kind::kDeleteRange && !op.end.empty()) {
    CAIRN_RETURN_IF_ERROR(CheckKey(op.end, "delete-range end key"));
  }
  return Status::OK();
}

}  // namespace

Status ValidateTxn(const Txn& txn) {
  for (const Compare& c : txn.compares) {
    CAIRN_RETURN_IF_ERROR(CheckKey(c.key, "compare key"));
    if (c.kind == Compare::Kind::kValueEquals && c.value.size() > kMaxMetaValueSize) {
      return Status::InvalidArgument("compare value for meta key " + EscapeKey(c.key) + " is " +
                                     std::to_string(c.value.size()) + " bytes, over the limit of " +
                                     std::to_string(kMaxMetaValueSize));
    }
  }
  for (const Op& op : txn.ops) CAIRN_RETURN_IF_ERROR(CheckOp(op));
  return Status::OK();
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  // Drop trailing 0xFF bytes (nothing is greater with the same length), then bump the
  // last byte; an all-0xFF prefix has no finite end.
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

Result<std::optional<KeyValue>> MetaStore::Get(std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, Snapshot());
  return snapshot->Get(key);
}

Result<std::vector<KeyValue>> MetaStore::Range(std::string_view begin, std::string_view end,
                                               size_t limit) {
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, Snapshot());
  return snapshot->Range(begin, end, limit);
}

}  // namespace cairn
