// Users (design.md §1, category 4): user/<name> -> a JSON record with a salted,
// iterated SHA-256 password hash. The password itself is never stored or logged.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/result.h"
#include "meta/meta_writer.h"

namespace cairn {

struct UserInfo {
  std::string name;
  int64_t created_ms = 0;
  std::vector<std::string> privileges;
};

// InvalidArgument unless `name` is 1..64 of [A-Za-z0-9_.-].
Status ValidateUserName(std::string_view name);

class Users {
 public:
  // `random` supplies salts; it must outlive this object.
  Users(MetaWriter* writer, Random* random) : writer_(writer), random_(random) {}

  // AlreadyExists when the user exists; InvalidArgument for a bad name or empty password.
  Status Create(std::string_view name, std::string_view password);
  // NotFound when the user does not exist.
  Status Drop(std::string_view name);
  Result<std::vector<UserInfo>> List();
  // True when `password` matches; NotFound for an unknown user.
  Result<bool> CheckPassword(std::string_view name, std::string_view password);

 private:
  std::string NewSalt();

  MetaWriter* const writer_;
  std::mutex random_mu_;
  Random* const random_;
};

}  // namespace cairn
