// S3Options: everything an S3ObjectStore needs, parsed from
// s3://bucket[/prefix]?endpoint=http://host:port&region=us-east-1 plus credentials
// from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

struct S3Options {
  std::string bucket;
  std::string prefix;    // "" or ends with '/'; prepended to every object key
  std::string endpoint;  // "http(s)://host[:port]", no trailing slash
  std::string region = "us-east-1";
  std::string redacted_url;  // the URL for logs and errors (no secrets)

  // Secrets: never logged, never part of an error message.
  std::string access_key;
  std::string secret_key;
  std::string session_token;

  size_t part_size = 8 << 20;  // multipart part size; S3 requires >= 5 MiB
  int max_attempts = 4;        // per request, for 5xx / connection errors / timeouts
  int64_t backoff_ms = 100;    // first retry delay, doubled each retry
  int64_t max_backoff_ms = 2000;
  int64_t connect_timeout_ms = 1000;  // as the AWS SDKs
  int64_t stall_timeout_ms = 30000;   // a transfer making no progress this long fails
};

// Parses the URL (InvalidArgument naming what is wrong); credentials stay empty.
// Without `endpoint`, the AWS endpoint of the region is used.
Result<S3Options> ParseS3Url(std::string_view url);

// Fills the credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN. Missing variables leave requests unsigned (anonymous).
void LoadS3CredentialsFromEnv(S3Options* options);

}  // namespace cairn
