#include "server/api_routes.h"
#include "server/console_assets.h"

namespace cairn::server {

const ConsoleAsset* FindConsoleAsset(std::string_view name) {
  for (size_t i = 0; i < kConsoleAssetCount; ++i) {
    if (kConsoleAssets[i].name == name) return &kConsoleAssets[i];
  }
  return nullptr;
}

namespace {

HttpHandler Serve(std::string_view name) {
  const ConsoleAsset* asset = FindConsoleAsset(name);
  return [asset](const HttpRequest&) {
    return HttpResponse{200, std::string(asset->content_type), std::string(asset->body), {}};
  };
}

}  // namespace

void AddConsoleRoutes(const HttpAuth& auth, HttpRouter* router) {
  router->Add("GET", "/", auth.Guard(Serve("index.html"), true));
  router->Add("GET", "/console.js", auth.Guard(Serve("console.js"), true));
  router->Add("GET", "/console.css", auth.Guard(Serve("console.css"), true));
}

}  // namespace cairn::server
