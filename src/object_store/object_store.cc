#include "object_store/object_store.h"

namespace cairn {
namespace {

constexpr size_t kMaxQuotedKeyBytes = 64;

bool IsPrintable(char c) { return c >= 0x20 && c <= 0x7e; }

Status BadKey(std::string_view key, std::string_view why) {
  return Status::InvalidArgument("invalid object key " + QuoteObjectKey(key) + ": " +
                                 std::string(why));
}

// Every '/'-separated segment must be non-empty and not "." (".." is rejected earlier).
Status ValidateSegments(std::string_view key) {
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    size_t end = slash == std::string_view::npos ? key.size() : slash;
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) {
      return BadKey(key, end == key.size() ? "must not end with '/'" : "empty path segment");
    }
    if (segment == ".") return BadKey(key, "'.' path segment");
    start = end + 1;
  }
  return Status::OK();
}

class GetRangeReader final : public ObjectReader {
 public:
  GetRangeReader(ObjectStore* store, std::string_view key) : store_(store), key_(key) {}
  Result<std::string> Read(uint64_t offset, uint64_t length) override {
    return store_->GetRange(key_, offset, length);
  }

 private:
  ObjectStore* const store_;
  const std::string key_;
};

}  // namespace

Result<std::unique_ptr<ObjectReader>> ObjectStore::OpenReader(std::string_view key) {
  return std::unique_ptr<ObjectReader>(std::make_unique<GetRangeReader>(this, key));
}

std::string QuoteObjectKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < kMaxQuotedKeyBytes; ++i) {
    char c = key[i];
    if (IsPrintable(c) && c != '\\') {
      out.push_back(c);
    } else {
      unsigned char u = static_cast<unsigned char>(c);
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  if (key.size() > kMaxQuotedKeyBytes) out += "...";
  out += "'";
  return out;
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("invalid object key '': key is empty");
  if (key.size() > kMaxObjectKeySize) {
    return BadKey(key, std::to_string(key.size()) + " bytes, longer than the " +
                           std::to_string(kMaxObjectKeySize) + "-byte limit");
  }
  for (size_t i = 0; i < key.size(); ++i) {
    if (!IsPrintable(key[i])) {
      return BadKey(key, "non-printable byte at offset " + std::to_string(i));
    }
  }
  if (key.front() == '/') return BadKey(key, "must not start with '/'");
  if (key.find("..") != std::string_view::npos) return BadKey(key, "must not contain '..'");
  return ValidateSegments(key);
}

Status ListAll(ObjectStore& store, std::string_view prefix,
               const std::function<Status(const ObjectMeta&)>& fn, size_t page_size) {
  std::string token;
  do {
    CAIRN_ASSIGN_OR_RETURN(ListPage page, store.List(prefix, token, page_size));
    for (const ObjectMeta& meta : page.objects) CAIRN_RETURN_IF_ERROR(fn(meta));
    token = std::move(page.next_token);
  } while (!token.empty());
  return Status::OK();
}

}  // namespace cairn
