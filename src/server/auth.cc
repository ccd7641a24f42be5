#include "server/auth.h"

#include "meta/password_hash.h"

namespace cairn::server {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string_view Header(const grpc::ServerContext& context, const char* name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(name);
  if (it == metadata.end()) return {};
  return {it->second.data(), it->second.size()};
}

}  // namespace

bool Authorizer::IsAdminBearer(std::string_view authorization) const {
  if (!enabled()) return true;
  return authorization.substr(0, kBearer.size()) == kBearer &&
         ConstantTimeEquals(authorization.substr(kBearer.size()), token_);
}

Result<Privilege> Authorizer::Authenticate(const grpc::ServerContext& context) const {
  std::string_view authorization = Header(context, "authorization");
  if (!authorization.empty()) {
    if (IsAdminBearer(authorization)) return Privilege::kAdmin;
    return Status::PermissionDenied("permission denied: invalid admin token");
  }
  std::string_view user = Header(context, kUserHeader);
  if (!user.empty() && users_ != nullptr) {
    return users_->Authenticate(user, Header(context, kPasswordHeader));
  }
  return Status::PermissionDenied(
      "permission denied: this server requires a credential (--auth-token-file, or --user "
      "with --password-file)");
}

grpc::Status Authorizer::Check(const grpc::ServerContext& context, Privilege need,
                               std::string_view method) const {
  if (!enabled()) return grpc::Status::OK;
  auto privilege = Authenticate(context);
  if (!privilege.ok()) {
    bool denied = privilege.status().code() == ErrorCode::kPermissionDenied;
    return {denied ? grpc::StatusCode::PERMISSION_DENIED : grpc::StatusCode::INTERNAL,
            privilege.status().message()};
  }
  if (*privilege >= need) return grpc::Status::OK;
  return {grpc::StatusCode::PERMISSION_DENIED,
          "permission denied: " + std::string(method) + " needs " + PrivilegeName(need) +
              " privilege, user " + std::string(Header(context, kUserHeader)) + " has " +
              PrivilegeName(*privilege)};
}

}  // namespace cairn::server
