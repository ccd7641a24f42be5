// Turns a failed S3 reply into a one-line Status that names the object (or bucket)
// and the store, never a credential.
#pragma once

#include <string>

#include "common/result.h"
#include "object_store/s3_http.h"

namespace cairn {

// For a response whose HTTP status is not 2xx: 404 -> NotFound naming the key,
// NoSuchBucket -> NotFound naming the bucket, 403 / signature errors ->
// PermissionDenied, 5xx / 429 -> Unavailable, anything else -> IOError.
Status S3ResponseStatus(const S3Options& options, const S3Request& request,
                        const S3Response& response);

// `text` with every occurrence of the secret key and session token replaced by "***"
// (server-supplied messages are echoed into errors, so they are scrubbed too).
std::string RedactS3Secrets(const S3Options& options, std::string text);

// Sends `request` and maps any non-2xx reply through S3ResponseStatus.
Result<S3Response> S3Call(S3Http& http, const S3Request& request);

}  // namespace cairn
