// Parses one HTTP/1.x request from the front of a byte buffer (the listener calls it
// again as more bytes arrive). Request bodies need Content-Length; chunked uploads
// are refused (411), as are requests over the limits (431 headers, 413 body).
#pragma once

#include <cstddef>
#include <string_view>

#include "server/http_request.h"

namespace cairn::server {

struct HttpLimits {
  size_t max_header_bytes = 16 << 10;  // request line + headers
  size_t max_body_bytes = 1 << 20;
};

struct ParseResult {
  enum State { kIncomplete, kComplete, kError } state = kIncomplete;
  size_t consumed = 0;     // kComplete: bytes of the buffer the request took
  int error_code = 0;      // kError: 400, 411, 413, 431, 501 or 505
  const char* error = "";  // kError: why, for the response body
};

// kIncomplete until the whole request (headers and Content-Length bytes of body) is
// in `buffer`; then kComplete with *request filled. kError as soon as the bytes seen
// are malformed or over a limit (also while incomplete).
ParseResult ParseRequest(std::string_view buffer, const HttpLimits& limits, HttpRequest* request);

// "%41b+c" -> "Ab c" (with `plus_is_space`); false for a malformed escape.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace cairn::server
