#include "cli/client.h"

#include <grpc/support/log.h>

#include <fstream>
#include <sstream>

#include "server/auth.h"
#include "server/token_file.h"

namespace cairn::cli {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(5);

std::chrono::system_clock::time_point Deadline(std::chrono::seconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

// True once connected. A refused connection fails at once instead of retrying until
// the deadline: nothing listens there, and the operator should know now.
bool WaitForServer(grpc::Channel* channel) {
  auto deadline = Deadline(kConnectTimeout);
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!channel->WaitForStateChange(state, deadline)) return false;
    state = channel->GetState(/*try_to_connect=*/true);
  }
  return true;
}

Result<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return Status::IOError(std::string("cannot read ") + what + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ClientOptions& options) {
  if (options.tls_ca_file.empty()) {
    if (!options.tls_cert_file.empty()) {
      return Status::InvalidArgument("--tls-client-cert needs --tls-ca (TLS)");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  CAIRN_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options.tls_ca_file, "TLS CA file"));
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("--tls-client-cert and --tls-client-key go together");
  }
  if (!options.tls_cert_file.empty()) {
    CAIRN_RETURN_IF_ERROR(CheckPrivateFile(options.tls_key_file, "TLS key file"));
    CAIRN_ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                           ReadFile(options.tls_cert_file, "TLS certificate file"));
    CAIRN_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(options.tls_key_file, "TLS key file"));
  }
  return grpc::SslCredentials(ssl);
}

// Why the channel failed: one call's error, which carries gRPC's reason (a TLS
// handshake failure, for instance).
std::string ConnectFailure(grpc::Channel* channel) {
  grpc::ClientContext context;
  context.set_deadline(Deadline(std::chrono::seconds(2)));
  rpc::StatusRequest request;
  rpc::StatusResponse response;
  grpc::Status status =
      rpc::Admin::NewStub(std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {
      }))->Status(&context, request, &response);
  return status.error_message();
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  // The CLI prints one `error:` line; gRPC's own log (a TLS handshake failure, for
  // one) would add more. Its reasons reach the user through call statuses instead.
  gpr_set_log_function([](gpr_log_func_args*) {});
  auto client = std::make_unique<Client>();
  client->addr_ = options.addr;
  if (!options.auth_token_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(client->token_, ReadTokenFile(options.auth_token_file));
  }
  if (options.user.empty() != options.password_file.empty()) {
    return Status::InvalidArgument(
        "--user and --password-file go together (env CAIRN_USER, CAIRN_PASSWORD_FILE)");
  }
  if (!options.user.empty()) {
    client->user_ = options.user;
    CAIRN_ASSIGN_OR_RETURN(client->password_, ReadPasswordFile(options.password_file));
  }
  CAIRN_ASSIGN_OR_RETURN(auto credentials, Credentials(options));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // Talk to the server directly: an http_proxy meant for web traffic would otherwise
  // intercept the connection and answer with its own errors.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  client->channel_ = grpc::CreateCustomChannel(options.addr, credentials, args);
  if (!WaitForServer(client->channel_.get())) {
    std::string reason = ConnectFailure(client->channel_.get());
    return Status::Unavailable("cannot reach cairn server at " + options.addr + ": " + reason +
                               " (is `cairn server` running? set --addr or CAIRN_ADDR; a TLS " +
                               "server needs --tls-ca)");
  }
  client->tables_ = rpc::Tables::NewStub(client->channel_);
  client->kv_ = rpc::Kv::NewStub(client->channel_);
  client->admin_ = rpc::Admin::NewStub(client->channel_);
  client->params_ = rpc::Params::NewStub(client->channel_);
  client->users_ = rpc::Users::NewStub(client->channel_);
  client->backups_ = rpc::Backups::NewStub(client->channel_);
  return client;
}

std::unique_ptr<grpc::ClientContext> Client::Context(std::chrono::seconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(Deadline(timeout));
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
  if (!user_.empty()) {
    context->AddMetadata(server::kUserHeader, user_);
    context->AddMetadata(server::kPasswordHeader, password_);
  }
  return context;
}

Status Client::Check(const grpc::Status& status) const {
  const std::string& m = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return Status::OK();
    case grpc::StatusCode::UNAVAILABLE:
      return Status::Unavailable("cannot reach cairn server at " + addr_ + ": " + m);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Unavailable("cairn server at " + addr_ + " did not answer in time");
    case grpc::StatusCode::NOT_FOUND:
      return Status::NotFound(m);
    case grpc::StatusCode::ALREADY_EXISTS:
      return Status::AlreadyExists(m);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Status::InvalidArgument(m);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status::PermissionDenied(m);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Status::Busy(m);
    case grpc::StatusCode::DATA_LOSS:
      return Status::Corruption(m);
    case grpc::StatusCode::ABORTED:
      return Status::Conflict(m);
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::NotSupported(m);
    default:
      return Status::IOError(m);
  }
}

}  // namespace cairn::cli
