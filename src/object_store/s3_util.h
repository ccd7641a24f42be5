// Small encoding helpers for the S3 object store: SHA-256 payload hashes, AWS URI
// encoding, and the two time formats S3 returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

// Lower-case hex SHA-256 of `data` (the x-amz-content-sha256 header value).
std::string Sha256Hex(std::string_view data);

// AWS SigV4 URI encoding: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX
// (upper-case hex); '/' is kept when `keep_slash` (object key paths).
std::string AwsUriEncode(std::string_view text, bool keep_slash);

// "Wed, 25 Nov 2026 19:10:21 GMT" (Last-Modified header) -> Unix ms.
Result<int64_t> ParseHttpDateMillis(std::string_view text);

// "2026-11-25T19:10:21.123Z" (ListObjectsV2 LastModified) -> Unix ms.
Result<int64_t> ParseIso8601Millis(std::string_view text);

}  // namespace cairn
