// Url: parses store URLs such as fs:///abs/dir, sqlite:///abs/meta.db,
// postgres://user@host:5432/db?schema=s, etcd://host:2379/prefix,
// s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1, mem://name.
// Parsing is generic; each store validates the parts it needs and says precisely
// what is wrong.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

struct Url {
  std::string scheme;    // lower-case, e.g. "sqlite"
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded; never printed (see Redacted())
  std::string host;      // authority host (or bucket for s3://, name for mem://)
  int port = 0;          // 0 when absent
  std::string path;      // percent-decoded, starts with '/' when present
  std::map<std::string, std::string> query;  // percent-decoded

  static Result<Url> Parse(std::string_view text);

  // The URL with any password replaced by "***", safe for logs and errors.
  std::string Redacted() const;

  // Query parameter or `fallback` when absent.
  std::string Param(const std::string& name, const std::string& fallback = "") const;

  // For file-backed schemes: the path must be absolute ("sqlite:///abs/file.db").
  // Returns InvalidArgument naming the URL when a host is present or the path is empty.
  Result<std::string> AbsolutePath() const;
};

// True when `text` holds a secret: a "scheme://user:password@" anywhere in it (an
// S3 endpoint inside a query included), or a query parameter named like one
// (password, secret, token, access_key, secret_key).
bool HasEmbeddedCredentials(std::string_view text);

// Decodes %XX escapes; InvalidArgument on a malformed escape.
Result<std::string> PercentDecode(std::string_view text);

}  // namespace cairn
