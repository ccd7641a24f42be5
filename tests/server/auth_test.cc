#include "server/auth.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

// A ServerContext outside a call has no client metadata, so these cover the cases
// without a credential; tokens and users are covered end to end (AuthzE2eTest).
TEST(AuthorizerTest, EmptyTokenDisablesAuth) {
  Authorizer auth("", nullptr);
  grpc::ServerContext context;
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.Check(context, Privilege::kAdmin, "Admin.Vacuum").ok());
  EXPECT_TRUE(auth.IsAdminBearer(""));
}

TEST(AuthorizerTest, MissingCredentialIsPermissionDeniedWithoutEchoingTheToken) {
  Authorizer auth("sekrit-token", nullptr);
  grpc::ServerContext context;
  grpc::Status status = auth.Check(context, Privilege::kRead, "Kv.Get");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("permission denied"), std::string::npos);
  EXPECT_EQ(status.error_message().find("sekrit"), std::string::npos);
}

TEST(AuthorizerTest, HttpBearerMustBeTheAdminToken) {
  Authorizer auth("sekrit-token", nullptr);
  EXPECT_TRUE(auth.IsAdminBearer("Bearer sekrit-token"));
  EXPECT_FALSE(auth.IsAdminBearer("Bearer sekrit-toke"));
  EXPECT_FALSE(auth.IsAdminBearer("Bearer sekrit-tokenX"));
  EXPECT_FALSE(auth.IsAdminBearer("sekrit-token"));
  EXPECT_FALSE(auth.IsAdminBearer(""));
}

}  // namespace
}  // namespace cairn::server
