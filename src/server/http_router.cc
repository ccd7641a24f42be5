#include "server/http_router.h"

namespace cairn::server {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t begin = 1;  // paths start with '/'
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParam(pattern[i])) {
      if (path[i].empty()) return false;
      (*params)[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void HttpRouter::Add(std::string method, std::string pattern, HttpHandler handler) {
  routes_.push_back({std::move(method), Split(pattern), std::move(handler)});
}

HttpResponse HttpRouter::Route(HttpRequest request) const {
  std::vector<std::string> path = Split(request.path);
  std::string allow;
  for (const Entry& route : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(route.segments, path, &params)) continue;
    if (route.method == request.method) {
      request.params = std::move(params);
      return route.handler(request);
    }
    allow += (allow.empty() ? "" : ", ") + route.method;
  }
  if (allow.empty()) return TextError(404, "no such path: " + request.path);
  HttpResponse response = TextError(405, request.method + " is not allowed here");
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace cairn::server
