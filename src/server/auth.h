// Admin-token check for mutating RPCs (design.md §7). The token is compared in
// constant time and never logged or echoed in errors.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

namespace cairn::server {

class TokenAuth {
 public:
  // An empty token disables auth.
  explicit TokenAuth(std::string token) : token_(std::move(token)) {}

  // OK, or PERMISSION_DENIED when the call lacks `authorization: Bearer <token>`.
  grpc::Status Check(const grpc::ServerContext& context) const;

 private:
  std::string token_;
};

}  // namespace cairn::server
