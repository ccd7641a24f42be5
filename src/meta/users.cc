#include "meta/users.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "common/logging.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr const char* kDenied = "permission denied: wrong user name or password";

Result<nlohmann::json> ParseRecord(const KeyValue& kv) {
  auto record = nlohmann::json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
  bool ok = !record.is_discarded() && record.is_object();
  for (const char* field : {"name", "hash", "salt"}) {
    ok = ok && record.contains(field) && record[field].is_string();
  }
  ok = ok && record.contains("iterations") && record["iterations"].is_number_integer();
  ok = ok && (!record.contains("scheme") || record["scheme"].is_string());
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

PasswordHash HashOf(const nlohmann::json& record) {
  return {record.value("scheme", std::string(kLegacyScheme)), record["iterations"].get<int>(),
          record["salt"].get<std::string>(), record["hash"].get<std::string>()};
}

void SetHash(const PasswordHash& hash, nlohmann::json* record) {
  (*record)["scheme"] = hash.scheme;
  (*record)["iterations"] = hash.iterations;
  (*record)["salt"] = hash.salt;
  (*record)["hash"] = hash.hash;
}

// The highest privilege the record names; records written before privileges had
// levels say "admin", as every user then was.
Privilege PrivilegeOf(const nlohmann::json& record) {
  Privilege best = Privilege::kNone;
  for (const auto& name : record.value("privileges", std::vector<std::string>{})) {
    auto privilege = ParsePrivilege(name);
    if (privilege.ok() && *privilege > best) best = *privilege;
  }
  return best;
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

Result<Privilege> ParsePrivilege(std::string_view text) {
  if (text == "read") return Privilege::kRead;
  if (text == "write") return Privilege::kWrite;
  if (text == "admin") return Privilege::kAdmin;
  return Status::InvalidArgument("unknown privilege '" + std::string(text) +
                                 "': use read, write or admin");
}

const char* PrivilegeName(Privilege privilege) {
  switch (privilege) {
    case Privilege::kRead:
      return "read";
    case Privilege::kWrite:
      return "write";
    case Privilege::kAdmin:
      return "admin";
    case Privilege::kNone:
      break;
  }
  return "none";
}

Status ValidateUserName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (ok) return Status::OK();
  return Status::InvalidArgument("invalid user name '" + std::string(name) +
                                 "': use 1 to 64 letters, digits, '_', '.' or '-'");
}

Users::Users(MetaWriter* writer, int iterations)
    : writer_(writer), iterations_(iterations), mac_key_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(mac_key_.data()), 32) != 1) {
    mac_key_.clear();  // the cache stays empty: every login runs the KDF
  }
}

Status Users::Create(std::string_view name, std::string_view password, Privilege privilege) {
  CAIRN_RETURN_IF_ERROR(ValidateUserName(name));
  if (password.empty()) {
    return Status::InvalidArgument("user " + std::string(name) + ": empty password");
  }
  CAIRN_ASSIGN_OR_RETURN(PasswordHash hash, HashPassword(password, iterations_));
  nlohmann::json record = {
      {"name", name},
      {"created_ms", writer_->clock()->NowMillis()},
      {"privileges", {PrivilegeName(privilege)}},
  };
  SetHash(hash, &record);
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

Status Users::Grant(std::string_view name, Privilege privilege) {
  std::string key = keys::UserKey(name);
  CAIRN_ASSIGN_OR_RETURN(auto kv, writer_->store()->Get(key));
  if (!kv) return Status::NotFound("user " + std::string(name) + " does not exist");
  CAIRN_ASSIGN_OR_RETURN(auto record, ParseRecord(*kv));
  record["privileges"] = {PrivilegeName(privilege)};
  Txn txn;
  txn.compares.push_back(Compare::ValueEquals(key, kv->value));
  txn.ops.push_back(Op::Put(key, record.dump()));
  auto committed = writer_->Commit(std::move(txn));
  if (committed.status().IsConflict()) {
    return Status::Conflict("user " + std::string(name) + " changed meanwhile; try again");
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

std::string Users::PasswordMac(std::string_view stored_hash, std::string_view password) const {
  std::string input = std::string(stored_hash) + '\0' + std::string(password);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (mac_key_.empty() || HMAC(EVP_sha256(), mac_key_.data(), static_cast<int>(mac_key_.size()),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                               out, &n) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), n);
}

Result<Privilege> Users::Authenticate(std::string_view name, std::string_view password) {
  if (!ValidateUserName(name).ok() || password.empty()) return Status::PermissionDenied(kDenied);
  CAIRN_ASSIGN_OR_RETURN(auto kv, writer_->store()->Get(keys::UserKey(name)));
  if (!kv) return Status::PermissionDenied(kDenied);
  CAIRN_ASSIGN_OR_RETURN(auto record, ParseRecord(*kv));
  PasswordHash stored = HashOf(record);
  std::string mac = PasswordMac(stored.hash, password);
  {
    std::lock_guard lock(mu_);
    auto it = verified_.find(std::string(name));
    if (!mac.empty() && it != verified_.end() && ConstantTimeEquals(it->second, mac)) {
      return PrivilegeOf(record);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(bool match, VerifyPassword(stored, password));
  if (!match) return Status::PermissionDenied(kDenied);
  if (NeedsRehash(stored, iterations_)) {
    Upgrade(*kv, password);  // the next call verifies the new hash
  } else if (!mac.empty()) {
    std::lock_guard lock(mu_);
    verified_[std::string(name)] = mac;
  }
  return PrivilegeOf(record);
}

// Best effort: a failed upgrade leaves the old (valid) hash for the next login.
void Users::Upgrade(const KeyValue& kv, std::string_view password) {
  auto record = ParseRecord(kv);
  auto hash = HashPassword(password, iterations_);
  if (!record.ok() || !hash.ok()) return;
  SetHash(*hash, &*record);
  Txn txn;
  txn.compares.push_back(Compare::ValueEquals(kv.key, kv.value));
  txn.ops.push_back(Op::Put(kv.key, record->dump()));
  auto committed = writer_->Commit(std::move(txn));
  if (!committed.ok()) {
    CAIRN_LOG_WARN("upgrading the password hash of {}: {}", kv.key, committed.status().message());
    return;
  }
  CAIRN_LOG_INFO("upgraded the password hash of {} to {}", kv.key, kPbkdf2Scheme);
}

}  // namespace cairn
