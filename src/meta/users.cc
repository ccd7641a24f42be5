#include "meta/users.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "meta/keys.h"
#include "meta/sha256.h"

namespace cairn {
namespace {

// Iterations make an offline guess cost this many hashes; the count is stored per
// user so it can be raised without breaking existing records.
constexpr int kHashIterations = 10000;
constexpr std::string_view kHashScheme = "sha256-iter";

std::string ToHex(const uint8_t* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

std::string HashPassword(std::string_view salt, std::string_view password, int iterations) {
  std::string input = std::string(salt) + std::string(password);
  Sha256Digest digest = Sha256(input);
  for (int i = 1; i < iterations; ++i) {
    std::string next(reinterpret_cast<const char*>(digest.data()), digest.size());
    next += input;
    digest = Sha256(next);
  }
  return ToHex(digest.data(), digest.size());
}

Result<nlohmann::json> ParseRecord(const KeyValue& kv) {
  auto record = nlohmann::json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
  bool ok = !record.is_discarded() && record.is_object();
  for (const char* field : {"name", "hash", "salt"}) {
    ok = ok && record.contains(field) && record[field].is_string();
  }
  ok = ok && record.contains("iterations") && record["iterations"].is_number_integer();
  ok = ok && (!record.contains("created_ms") || record["created_ms"].is_number_integer());
  ok = ok && (!record.contains("privileges") || record["privileges"].is_array());
  if (ok && record.contains("privileges")) {
    for (const auto& privilege : record["privileges"]) ok = ok && privilege.is_string();
  }
  if (!ok) {
    return Status::Corruption("meta key " + kv.key + ": malformed user record");
  }
  return record;
}

Result<UserInfo> ToInfo(const KeyValue& kv) {
  CAIRN_ASSIGN_OR_RETURN(auto record, ParseRecord(kv));
  UserInfo info;
  info.name = record.value("name", "");
  info.created_ms = record.value("created_ms", int64_t{0});
  info.privileges = record.value("privileges", std::vector<std::string>{});
  return info;
}

}  // namespace

Status ValidateUserName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (ok) return Status::OK();
  return Status::InvalidArgument("invalid user name '" + std::string(name) +
                                 "': use 1 to 64 letters, digits, '_', '.' or '-'");
}

std::string Users::NewSalt() {
  std::lock_guard lock(random_mu_);
  uint64_t words[2] = {random_->Next(), random_->Next()};
  return ToHex(reinterpret_cast<const uint8_t*>(words), sizeof(words));
}

Status Users::Create(std::string_view name, std::string_view password) {
  CAIRN_RETURN_IF_ERROR(ValidateUserName(name));
  if (password.empty()) {
    return Status::InvalidArgument("user " + std::string(name) + ": empty password");
  }
  std::string salt = NewSalt();
  nlohmann::json record = {
      {"name", name},
      {"scheme", kHashScheme},
      {"iterations", kHashIterations},
      {"salt", salt},
      {"hash", HashPassword(salt, password, kHashIterations)},
      {"created_ms", writer_->clock()->NowMillis()},
      {"privileges", {"admin"}},
  };
  std::string key = keys::UserKey(name);
  Txn txn;
  txn.compares.push_back(Compare::Absent(key));
  txn.ops.push_back(Op::Put(key, record.dump()));
  auto committed = writer_->Commit(std::move(txn));
  if (committed.ok()) return Status::OK();
  if (committed.status().IsConflict()) {
    return Status::AlreadyExists("user " + std::string(name) + " already exists");
  }
  return committed.status();
}

Status Users::Drop(std::string_view name) {
  std::string key = keys::UserKey(name);
  Txn txn;
  txn.compares.push_back(Compare::Exists(key));
  txn.ops.push_back(Op::Delete(key));
  auto committed = writer_->Commit(std::move(txn));
  if (committed.ok()) return Status::OK();
  if (committed.status().IsConflict()) {
    return Status::NotFound("user " + std::string(name) + " does not exist");
  }
  return committed.status();
}

Result<std::vector<UserInfo>> Users::List() {
  std::vector<UserInfo> out;
  std::string begin(keys::kUserPrefix);
  const std::string end = PrefixEnd(keys::kUserPrefix);
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(auto page, writer_->store()->Range(begin, end, 1000));
    for (const KeyValue& kv : page) {
      CAIRN_ASSIGN_OR_RETURN(auto info, ToInfo(kv));
      out.push_back(std::move(info));
    }
    if (page.size() < 1000) return out;
    begin = page.back().key + '\0';
  }
}

Result<bool> Users::CheckPassword(std::string_view name, std::string_view password) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, writer_->store()->Get(keys::UserKey(name)));
  if (!kv) return Status::NotFound("user " + std::string(name) + " does not exist");
  CAIRN_ASSIGN_OR_RETURN(auto record, ParseRecord(*kv));
  std::string expected = record["hash"].get<std::string>();
  std::string actual =
      HashPassword(record["salt"].get<std::string>(), password, record["iterations"].get<int>());
  // Constant-time compare: the time taken does not reveal a matching prefix.
  unsigned diff = expected.size() ^ actual.size();
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) diff |= expected[i] ^ actual[i];
  return diff == 0;
}

}  // namespace cairn
