// The web console's static files (src/server/console/), embedded in the binary at
// build time by console/embed.cmake: no files to install, no CDN.
#pragma once

#include <cstddef>
#include <string_view>

namespace cairn::server {

struct ConsoleAsset {
  std::string_view name;  // file name, e.g. "console.js"
  std::string_view content_type;
  std::string_view body;
};

extern const ConsoleAsset kConsoleAssets[];
extern const size_t kConsoleAssetCount;

// The asset called `name`, or nullptr.
const ConsoleAsset* FindConsoleAsset(std::string_view name);

}  // namespace cairn::server
