#include "meta_store/etcd_client.h"

#include <chrono>
#include <climits>

namespace cairn {
namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  grpc::ChannelArguments args;
  // etcd sends replies up to 2 GiB (its gRPC max send size is math.MaxInt32) and
  // bounds requests with --max-request-bytes itself; gRPC's 4 MiB default would refuse
  // a large range or txn reply on the client.
  args.SetMaxReceiveMessageSize(INT_MAX);
  args.SetMaxSendMessageSize(INT_MAX);
  // Notice a dead connection while idle, so the next call reconnects instead of
  // waiting out its deadline on a half-open socket.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  // Reconnect soon after etcd comes back (gRPC's default backoff grows to 120 s).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

EtcdClient::EtcdClient(const std::string& host, int port, std::string describe, int64_t timeout_ms)
    : endpoint_(host + ":" + std::to_string(port)),
      describe_(std::move(describe)),
      timeout_ms_(timeout_ms),
      kv_(etcdserverpb::KV::NewStub(MakeChannel(endpoint_))) {}

template <typename Request, typename Response, typename Method>
Result<Response> EtcdClient::Call(const char* name, Method method, const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms_));
  Response response;
  grpc::Status status = (kv_.get()->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpc(name, status);
  return response;
}

Result<etcdserverpb::RangeResponse> EtcdClient::Range(const etcdserverpb::RangeRequest& request) {
  return Call<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse>(
      "Range", &etcdserverpb::KV::Stub::Range, request);
}

Result<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request) {
  return Call<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse>(
      "Txn", &etcdserverpb::KV::Stub::Txn, request);
}

Result<etcdserverpb::PutResponse> EtcdClient::Put(const etcdserverpb::PutRequest& request) {
  return Call<etcdserverpb::PutRequest, etcdserverpb::PutResponse>(
      "Put", &etcdserverpb::KV::Stub::Put, request);
}

Result<etcdserverpb::DeleteRangeResponse> EtcdClient::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  return Call<etcdserverpb::DeleteRangeRequest, etcdserverpb::DeleteRangeResponse>(
      "DeleteRange", &etcdserverpb::KV::Stub::DeleteRange, request);
}

Result<etcdserverpb::CompactionResponse> EtcdClient::Compact(
    const etcdserverpb::CompactionRequest& request) {
  return Call<etcdserverpb::CompactionRequest, etcdserverpb::CompactionResponse>(
      "Compact", &etcdserverpb::KV::Stub::Compact, request);
}

// Maps the gRPC codes a caller can act on; the message names etcd and the server.
Status EtcdClient::FromGrpc(const char* method, const grpc::Status& status) const {
  const std::string where = "etcd at " + endpoint_ + " (" + describe_ + ")";
  std::string message = where + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Unavailable(
          where + ": " + method + " timed out after " + std::to_string(timeout_ms_) + " ms" +
          (std::string_view(method) == "Range" ? "" : " (it may or may not have been applied)"));
    case grpc::StatusCode::UNAVAILABLE:
      return Status::Unavailable("cannot reach etcd at " + endpoint_ + " (" + describe_ +
                                 "): " + status.error_message());
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // a request over a size limit
    case grpc::StatusCode::OUT_OF_RANGE:        // compacted or future revision
      return Status::InvalidArgument(std::move(message));
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status::PermissionDenied(std::move(message));
    case grpc::StatusCode::ABORTED:
      return Status::Aborted(std::move(message));
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::NotSupported(where + ": " + method + " is not implemented: " +
                                  status.error_message() + "; is this etcd >= 3.4?");
    default:
      return Status::IOError(std::move(message));
  }
}

}  // namespace cairn
