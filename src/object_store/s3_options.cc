#include "object_store/s3_options.h"

#include <cstdlib>

#include "common/url.h"

namespace cairn {
namespace {

// S3 bucket naming rules (the subset that matters for path-style requests).
bool ValidBucketName(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return name.front() != '-' && name.front() != '.' && name.back() != '-' && name.back() != '.';
}

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

Result<S3Options> ParseS3Url(std::string_view text) {
  CAIRN_ASSIGN_OR_RETURN(Url url, Url::Parse(text));
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("invalid URL '" + url.Redacted() + "': " + why);
  };
  if (url.scheme != "s3") return invalid("expected s3://bucket/prefix");
  if (url.host.empty()) return invalid("missing bucket, expected s3://bucket/prefix");
  if (url.port != 0 || !url.user.empty() || !url.password.empty()) {
    return invalid(
        "the part after s3:// is the bucket name; put credentials in "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the server in ?endpoint=");
  }
  if (!ValidBucketName(url.host)) {
    return invalid("bucket name '" + url.host +
                   "' must be 3-63 characters of a-z, 0-9, '-' and '.'");
  }
  for (const auto& [key, value] : url.query) {
    if (key != "endpoint" && key != "region") {
      return invalid("unknown parameter '" + key + "' (known: endpoint, region)");
    }
  }
  S3Options options;
  options.bucket = url.host;
  options.redacted_url = url.Redacted();
  options.region = url.Param("region", "us-east-1");
  if (options.region.empty()) return invalid("empty region");
  options.endpoint = url.Param("endpoint", "https://s3." + options.region + ".amazonaws.com");
  if (options.endpoint.rfind("http://", 0) != 0 && options.endpoint.rfind("https://", 0) != 0) {
    return invalid("endpoint must start with http:// or https://");
  }
  while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
  std::string prefix = url.path;
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  if (!prefix.empty() && prefix.back() != '/') prefix.push_back('/');
  options.prefix = prefix;
  return options;
}

void LoadS3CredentialsFromEnv(S3Options* options) {
  options->access_key = EnvOrEmpty("AWS_ACCESS_KEY_ID");
  options->secret_key = EnvOrEmpty("AWS_SECRET_ACCESS_KEY");
  options->session_token = EnvOrEmpty("AWS_SESSION_TOKEN");
}

}  // namespace cairn
