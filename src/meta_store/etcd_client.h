// EtcdClient: calls etcd's v3 JSON gateway (POST http://host:port/v3/kv/range, /txn,
// /compaction; etcd 3.4 serves /v3/) over libcurl with keep-alive connections. Keys
// and values travel base64-encoded and 64-bit integers as decimal strings. Errors name
// the server (host:port) and carry etcd's own message.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cairn {

class EtcdClient {
 public:
  // `describe` names the store in errors (a redacted URL).
  EtcdClient(std::string host, int port, std::string describe);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POSTs `request` to /v3/<method> (e.g. "kv/range") and returns the parsed reply.
  // Unavailable when the server cannot be reached; otherwise the gRPC status in an
  // error reply mapped to an ErrorCode, with etcd's message.
  Result<nlohmann::json> Call(std::string_view method, const nlohmann::json& request);

  const std::string& endpoint() const { return endpoint_; }  // "host:port"

 private:
  CURL* AcquireHandle();
  void ReleaseHandle(CURL* handle);
  Status ErrorReply(long http_status, const std::string& body) const;

  const std::string endpoint_;
  const std::string base_url_;
  const std::string describe_;
  std::mutex mu_;
  std::vector<CURL*> idle_;  // keep-alive handles, guarded by mu_
};

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// An int64 field of an etcd reply (a decimal string, or a number), 0 when absent.
int64_t EtcdInt(const nlohmann::json& object, const char* field);
// A bytes field of an etcd reply, decoded; "" when absent.
Result<std::string> EtcdBytes(const nlohmann::json& object, const char* field);

}  // namespace cairn
