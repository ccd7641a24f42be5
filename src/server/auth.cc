#include "server/auth.h"

namespace cairn::server {
namespace {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned diff = a.size() ^ b.size();
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

}  // namespace

grpc::Status TokenAuth::Check(const grpc::ServerContext& context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return {grpc::StatusCode::PERMISSION_DENIED,
            "permission denied: this server requires the admin token (pass --auth-token-file "
            "or set CAIRN_AUTH_TOKEN_FILE)"};
  }
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.substr(0, kBearer.size()) != kBearer ||
      !ConstantTimeEquals(value.substr(kBearer.size()), token_)) {
    return {grpc::StatusCode::PERMISSION_DENIED, "permission denied: invalid admin token"};
  }
  return grpc::Status::OK;
}

}  // namespace cairn::server
