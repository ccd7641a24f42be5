#include "cli/client.h"

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

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  auto client = std::make_unique<Client>();
  client->addr_ = options.addr;
  if (!options.auth_token_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(client->token_, ReadTokenFile(options.auth_token_file));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // Talk to the server directly: an http_proxy meant for web traffic would otherwise
  // intercept the connection and answer with its own errors.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  client->channel_ =
      grpc::CreateCustomChannel(options.addr, grpc::InsecureChannelCredentials(), args);
  if (!WaitForServer(client->channel_.get())) {
    return Status::Unavailable("cannot reach cairn server at " + options.addr +
                               " (is `cairn server` running? set --addr or CAIRN_ADDR)");
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
