// EtcdClient: etcd's v3 KV service over native gRPC (proto/etcd/rpc.proto, etcd >= 3.4),
// one HTTP/2 channel shared by every call. Every call carries a deadline; a call past it
// fails with Unavailable naming etcd and the timeout (a txn that timed out may or may
// not have been applied). Errors name the server (host:port) and carry etcd's message.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "etcd/rpc.grpc.pb.h"

namespace cairn {

class EtcdClient {
 public:
  static constexpr int64_t kDefaultTimeoutMillis = 10'000;

  // `describe` names the store in errors (a redacted URL); `timeout_ms` is the
  // deadline of each call.
  EtcdClient(const std::string& host, int port, std::string describe,
             int64_t timeout_ms = kDefaultTimeoutMillis);
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  Result<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  Result<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  Result<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  Result<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  Result<etcdserverpb::CompactionResponse> Compact(const etcdserverpb::CompactionRequest& request);

  const std::string& endpoint() const { return endpoint_; }  // "host:port"
  int64_t timeout_ms() const { return timeout_ms_; }

 private:
  // Runs one unary call of the stub with this client's deadline.
  template <typename Request, typename Response, typename Method>
  Result<Response> Call(const char* name, Method method, const Request& request);
  Status FromGrpc(const char* method, const grpc::Status& status) const;

  const std::string endpoint_;
  const std::string describe_;
  const int64_t timeout_ms_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
};

}  // namespace cairn
