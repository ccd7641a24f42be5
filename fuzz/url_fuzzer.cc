// URL parser (src/common/url.h): any bytes parse or fail with InvalidArgument; a parsed
// URL's accessors work, and Redacted() never depends on the password.
#include "common/url.h"
#include "fuzz/fuzz_util.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::View(data, size);
  auto url = Url::Parse(text);
  if (!url.ok()) {
    if (url.status().code() != ErrorCode::kInvalidArgument) fuzz::Fail("not InvalidArgument");
    return 0;
  }
  // Redacted() must not depend on the password, only on whether there is one.
  Url other = *url;
  if (!other.password.empty()) other.password = "x";
  if (other.Redacted() != url->Redacted()) fuzz::Fail("Redacted() shows the password");
  (void)url->Param("region", "x");
  (void)url->AbsolutePath();
  (void)PercentDecode(url->path);
  return 0;
}
