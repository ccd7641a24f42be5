// Client: the CLI's connection to a cairn server. Every call carries a deadline so a
// dead or missing server turns into a clear error, never a hang.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "cairn.grpc.pb.h"
#include "common/result.h"

namespace cairn::cli {

// Credentials: the admin token, or a user's name and password (docs/server.md, "Auth").
// TLS when tls_ca_file is set: the server's certificate must be signed by that CA; a
// client certificate (for a server started with --tls-ca) is optional.
struct ClientOptions {
  std::string addr;             // HOST:PORT
  std::string auth_token_file;  // empty = send no token
  std::string user;             // with password_file
  std::string password_file;
  std::string tls_ca_file;
  std::string tls_cert_file;  // with tls_key_file
  std::string tls_key_file;
};

class Client {
 public:
  // Reads the credential files (if any) and connects, waiting at most 5 s for the
  // server. A TLS failure (wrong CA, plaintext client against a TLS server) is
  // Unavailable with gRPC's reason.
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // A context with `timeout` and the auth token, for one call.
  std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::seconds timeout = std::chrono::seconds(120)) const;

  // The gRPC status as a cairn Status; UNAVAILABLE / DEADLINE_EXCEEDED name the server.
  Status Check(const grpc::Status& status) const;

  rpc::Tables::Stub& tables() { return *tables_; }
  rpc::Kv::Stub& kv() { return *kv_; }
  rpc::Admin::Stub& admin() { return *admin_; }
  rpc::Params::Stub& params() { return *params_; }
  rpc::Users::Stub& users() { return *users_; }
  rpc::Backups::Stub& backups() { return *backups_; }

 private:
  std::string addr_;
  std::string token_;
  std::string user_;
  std::string password_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rpc::Tables::Stub> tables_;
  std::unique_ptr<rpc::Kv::Stub> kv_;
  std::unique_ptr<rpc::Admin::Stub> admin_;
  std::unique_ptr<rpc::Params::Stub> params_;
  std::unique_ptr<rpc::Users::Stub> users_;
  std::unique_ptr<rpc::Backups::Stub> backups_;
};

}  // namespace cairn::cli
