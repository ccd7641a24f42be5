// A minimal blocking HTTP/1.1 client for the tests of the HTTP listener: one request
// per connection (Connection: close), the whole response read.
#pragma once

#include <map>
#include <string>

namespace cairn::testing {

struct HttpResult {
  int code = 0;  // 0 when the request failed (connect, or no status line)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// METHOD `path` on HOST:PORT with `headers` and `body` (Content-Length added).
HttpResult HttpCall(const std::string& host_port, const std::string& method,
                    const std::string& path, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});

}  // namespace cairn::testing
