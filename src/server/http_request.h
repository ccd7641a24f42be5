// HttpRequest and HttpResponse: what the HTTP listener hands to a handler and what the
// handler returns. Plain values; no I/O.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cairn::server {

struct HttpRequest {
  std::string method;                          // "GET", "POST", "DELETE", ... as sent
  std::string path;                            // percent-decoded, without the query
  std::map<std::string, std::string> query;    // percent-decoded; a repeated key: the last
  std::map<std::string, std::string> headers;  // names lower-cased; repeated: joined by ", "
  std::string body;
  std::map<std::string, std::string> params;  // path parameters, filled by HttpRouter
  bool keep_alive = false;                    // HTTP/1.1 without "Connection: close"

  // The header's value, or "" (name in any case).
  std::string Header(const std::string& name) const;
};

struct HttpResponse {
  int code = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// "OK", "Not Found", ... ("Error" for a code without a phrase here).
const char* ReasonPhrase(int code);

// The status line, headers (Content-Type, Content-Length, Connection, the extras) and
// body of `response`, as HTTP/1.1.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive);

// A plain-text error response: "<reason>: <message>\n".
HttpResponse TextError(int code, const std::string& message);

}  // namespace cairn::server
