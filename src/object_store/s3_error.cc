#include "object_store/s3_error.h"

#include "object_store/object_store.h"
#include "object_store/s3_xml.h"

namespace cairn {
namespace {

void ReplaceAll(std::string* text, const std::string& secret) {
  if (secret.empty()) return;
  for (size_t pos = text->find(secret); pos != std::string::npos;
       pos = text->find(secret, pos + 3)) {
    text->replace(pos, secret.size(), "***");
  }
}

bool IsCredentialError(long status, const std::string& code) {
  return status == 401 || status == 403 || code == "AccessDenied" ||
         code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
         code == "ExpiredToken" || code == "InvalidToken";
}

// The key as the caller named it (without the store's prefix).
std::string CallerKey(const S3Options& options, const std::string& key) {
  return key.rfind(options.prefix, 0) == 0 ? key.substr(options.prefix.size()) : key;
}

}  // namespace

std::string RedactS3Secrets(const S3Options& options, std::string text) {
  ReplaceAll(&text, options.secret_key);
  ReplaceAll(&text, options.session_token);
  return text;
}

Status S3ResponseStatus(const S3Options& options, const S3Request& request,
                        const S3Response& response) {
  S3ErrorBody error = ParseS3Error(response.body);
  if (error.code == "NoSuchBucket") {
    return Status::NotFound("S3 bucket '" + options.bucket + "' does not exist at endpoint " +
                            options.endpoint + " (" + request.Describe() + ")");
  }
  if (response.status == 404 && !request.key.empty()) {
    return Status::NotFound("object " + QuoteObjectKey(CallerKey(options, request.key)) +
                            " not found in " + options.redacted_url);
  }
  std::string detail = "HTTP " + std::to_string(response.status);
  if (!error.code.empty()) detail += " " + error.code;
  if (!error.message.empty()) detail += ": " + error.message;
  std::string message = RedactS3Secrets(
      options, "S3 " + request.Describe() + " on " + options.redacted_url + " failed: " + detail);
  if (IsCredentialError(response.status, error.code)) {
    return Status::PermissionDenied(message +
                                    " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  }
  if (response.status >= 500 || response.status == 429) return Status::Unavailable(message);
  return Status::IOError(message);
}

Result<S3Response> S3Call(S3Http& http, const S3Request& request) {
  CAIRN_ASSIGN_OR_RETURN(S3Response response, http.Send(request));
  if (response.status < 200 || response.status > 299) {
    return S3ResponseStatus(http.options(), request, response);
  }
  return response;
}

}  // namespace cairn
