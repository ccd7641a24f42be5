#include "meta_store/store_util.h"

namespace cairn {

std::string EscapeKey(std::string_view key) {
  static constexpr size_t kMaxShown = 128;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  out += "'";
  if (key.size() > kMaxShown) out += "...(" + std::to_string(key.size()) + " bytes)";
  return out;
}

Status EvaluateCompare(const Compare& compare, const std::optional<KeyValue>& current) {
  std::string key = EscapeKey(compare.key);
  switch (compare.kind) {
    case Compare::Kind::kRevisionEquals: {
      int64_t actual = current ? current->mod_revision : 0;
      if (actual == compare.revision) return Status::OK();
      return Status::Conflict("compare failed: meta key " + key + " has mod_revision " +
                              std::to_string(actual) + ", expected " +
                              std::to_string(compare.revision));
    }
    case Compare::Kind::kValueEquals:
      if (!current) return Status::Conflict("compare failed: meta key " + key + " is absent");
      if (current->value == compare.value) return Status::OK();
      return Status::Conflict("compare failed: meta key " + key + " holds another value");
    case Compare::Kind::kExists:
      if (current) return Status::OK();
      return Status::Conflict("compare failed: meta key " + key + " is absent");
    case Compare::Kind::kAbsent:
      if (!current) return Status::OK();
      return Status::Conflict("compare failed: meta key " + key + " exists");
  }
  return Status::InvalidArgument("unknown compare kind on meta key " + key);
}

Status ValidateRangeLimit(size_t limit) {
  if (limit == 0) return Status::InvalidArgument("meta store range limit must be > 0");
  return Status::OK();
}

}  // namespace cairn
