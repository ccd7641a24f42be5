// Authorization of RPCs (docs/server.md, "Auth"). With an admin token configured auth
// is on and every RPC needs a credential: the admin token
// (`authorization: Bearer <token>`), which may do everything, or a user's name and
// password (`cairn-user`, `cairn-password` metadata), which may do what the user's
// privilege allows. Secrets are compared in constant time and never logged or echoed.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

#include "meta/users.h"

namespace cairn::server {

inline constexpr const char* kUserHeader = "cairn-user";
inline constexpr const char* kPasswordHeader = "cairn-password";

class Authorizer {
 public:
  // An empty token turns auth off (every call may do everything). `users` may be null
  // (then only the token authenticates); it must outlive this object.
  Authorizer(std::string token, Users* users) : token_(std::move(token)), users_(users) {}

  bool enabled() const { return !token_.empty(); }

  // OK when the call's credential grants `need` for `method`; PERMISSION_DENIED for a
  // missing, wrong or insufficient one.
  grpc::Status Check(const grpc::ServerContext& context, Privilege need,
                     std::string_view method) const;

  // For HTTP: true when auth is off or `authorization` is `Bearer <admin token>`.
  bool IsAdminBearer(std::string_view authorization) const;

 private:
  Result<Privilege> Authenticate(const grpc::ServerContext& context) const;

  const std::string token_;
  Users* const users_;
};

}  // namespace cairn::server
