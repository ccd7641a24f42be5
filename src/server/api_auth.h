// HttpAuth: the admin-token check of the HTTP listener (docs/api.md "Auth"). With a
// token, every path but /healthz needs `Authorization: Bearer <token>` or HTTP Basic
// with the token as the password (what a browser sends for the console after its
// login prompt; the user name is ignored). Compared in constant time; never logged.
#pragma once

#include <string>

#include "server/http_router.h"

namespace cairn::server {

class HttpAuth {
 public:
  // An empty token disables auth.
  explicit HttpAuth(std::string token) : token_(std::move(token)) {}

  bool enabled() const { return !token_.empty(); }
  bool Allows(const HttpRequest& request) const;

  // `handler` behind the check: without the token, 401 and the handler does not run.
  // `browser`: the 401 asks for Basic credentials (a login prompt), else it is JSON.
  HttpHandler Guard(HttpHandler handler, bool browser) const;

 private:
  bool Matches(const std::string& candidate) const;

  std::string token_;
};

}  // namespace cairn::server
