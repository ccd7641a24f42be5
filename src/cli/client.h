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

struct ClientOptions {
  std::string addr;             // HOST:PORT
  std::string auth_token_file;  // empty = send no token
};

class Client {
 public:
  // Reads the token file (if any) and connects, waiting at most 5 s for the server.
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
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rpc::Tables::Stub> tables_;
  std::unique_ptr<rpc::Kv::Stub> kv_;
  std::unique_ptr<rpc::Admin::Stub> admin_;
  std::unique_ptr<rpc::Params::Stub> params_;
  std::unique_ptr<rpc::Users::Stub> users_;
  std::unique_ptr<rpc::Backups::Stub> backups_;
};

}  // namespace cairn::cli
