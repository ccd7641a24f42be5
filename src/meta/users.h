// Users (design.md §1, category 4): user/<name> -> a JSON record with a PBKDF2 password
// hash (meta/password_hash.h) and one privilege. The password itself is never stored
// or logged.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "meta/meta_writer.h"
#include "meta/password_hash.h"

namespace cairn {

// Ordered: each level includes the ones below it.
enum class Privilege { kNone = 0, kRead = 1, kWrite = 2, kAdmin = 3 };

// "read", "write", "admin"; InvalidArgument for anything else.
Result<Privilege> ParsePrivilege(std::string_view text);
const char* PrivilegeName(Privilege privilege);

struct UserInfo {
  std::string name;
  int64_t created_ms = 0;
  std::vector<std::string> privileges;  // one of read, write, admin
};

// InvalidArgument unless `name` is 1..64 of [A-Za-z0-9_.-].
Status ValidateUserName(std::string_view name);

class Users {
 public:
  // `iterations`: PBKDF2 work for new and upgraded hashes (tests pass fewer).
  explicit Users(MetaWriter* writer, int iterations = kPbkdf2Iterations);

  // A new user with `privilege` (read unless granted more). AlreadyExists when the
  // user exists; InvalidArgument for a bad name or empty password.
  Status Create(std::string_view name, std::string_view password,
                Privilege privilege = Privilege::kRead);
  // NotFound when the user does not exist.
  Status Drop(std::string_view name);
  // Replaces the user's privilege. NotFound when the user does not exist.
  Status Grant(std::string_view name, Privilege privilege);
  Result<std::vector<UserInfo>> List();

  // The user's privilege when `password` is theirs; PermissionDenied (the same message
  // for an unknown user and a wrong password) otherwise. A hash weaker than
  // `iterations` is replaced by a new one. A verified (user, stored hash, password)
  // is remembered in memory (as a keyed MAC, never the password), so a client's next
  // call does not pay the KDF again; a grant, drop or password change takes effect at
  // once because the record is read on every call.
  Result<Privilege> Authenticate(std::string_view name, std::string_view password);

 private:
  void Upgrade(const KeyValue& kv, std::string_view password);
  std::string PasswordMac(std::string_view stored_hash, std::string_view password) const;

  MetaWriter* const writer_;
  const int iterations_;
  std::string mac_key_;  // random per process
  std::mutex mu_;
  std::map<std::string, std::string> verified_;  // name -> MAC(stored hash, password)
};

}  // namespace cairn
