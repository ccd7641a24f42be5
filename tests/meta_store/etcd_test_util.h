// Shared by the etcd:// tests: the server from scripts/test-servers.sh and cleanup of
// the key prefix a test used.
#pragma once

#include <memory>
#include <string>

#include "common/url.h"
#include "meta_store/etcd_client.h"
#include "testing/test_util.h"

namespace cairn::testing {

// `base` (etcd://host:port) with the key prefix /cairn-test/<name>.
inline std::string WithPrefix(const std::string& base, const std::string& name) {
  return base + "/cairn-test/" + name;
}

// A client for the server named by an etcd:// URL.
inline std::unique_ptr<EtcdClient> ClientFor(const std::string& etcd_url) {
  auto url = Url::Parse(etcd_url);
  return std::make_unique<EtcdClient>(url.ok() ? url->host : "", url.ok() ? url->port : 0,
                                      etcd_url);
}

// Deletes every key under the prefix a test used (best effort).
inline void DeleteEtcdPrefix(const std::string& base, const std::string& name) {
  auto client = ClientFor(base);
  std::string prefix = "/cairn-test/" + name + "/";
  std::string end = prefix;
  end.back() = '0';  // '/' + 1
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(prefix);
  request.set_range_end(end);
  (void)client->DeleteRange(request);
}

}  // namespace cairn::testing
