#include "server/auth.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

// A ServerContext outside a call has no client metadata, so these cover the cases
// without a token; right and wrong tokens are covered end to end (CliTest.AuthToken).
TEST(TokenAuthTest, EmptyTokenDisablesAuth) {
  TokenAuth auth("");
  grpc::ServerContext context;
  EXPECT_TRUE(auth.Check(context).ok());
}

TEST(TokenAuthTest, MissingTokenIsPermissionDeniedWithoutEchoingTheToken) {
  TokenAuth auth("sekrit-token");
  grpc::ServerContext context;
  grpc::Status status = auth.Check(context);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("permission denied"), std::string::npos);
  EXPECT_EQ(status.error_message().find("sekrit"), std::string::npos);
}

}  // namespace
}  // namespace cairn::server
