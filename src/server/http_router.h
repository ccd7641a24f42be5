// HttpRouter: maps (method, path pattern) to a handler. A pattern is a path whose
// segments are literals or "{name}" (matches one non-empty segment, stored in
// request.params[name]). The first route added that matches wins.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http_request.h"

namespace cairn::server {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpRouter {
 public:
  void Add(std::string method, std::string pattern, HttpHandler handler);

  // The matching route's response; 404 when no pattern matches the path, 405 (with an
  // Allow header) when patterns match it but none for this method.
  HttpResponse Route(HttpRequest request) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
  };
  std::vector<Entry> routes_;
};

}  // namespace cairn::server
