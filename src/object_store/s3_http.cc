#include "object_store/s3_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/clock.h"
#include "common/logging.h"
#include "object_store/object_store.h"
#include "object_store/s3_util.h"

namespace cairn {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t WriteBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Collects "Name: value" header lines; a new status line (after a 100 Continue)
// starts over.
size_t WriteHeader(char* data, size_t size, size_t n, void* out) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(out);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  (*headers)[name] = std::string(value);
  return size * n;
}

struct UploadCursor {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t n, void* in) {
  auto* cursor = static_cast<UploadCursor*>(in);
  size_t len = std::min(size * n, cursor->data.size() - cursor->pos);
  std::memcpy(buffer, cursor->data.data() + cursor->pos, len);
  cursor->pos += len;
  return len;
}

// curl rewinds the body when it must resend it (e.g. on a reused connection).
int SeekBody(void* in, curl_off_t offset, int origin) {
  auto* cursor = static_cast<UploadCursor*>(in);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > cursor->data.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  cursor->pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

bool RetryableStatus(long status) { return status >= 500 || status == 429; }

}  // namespace

std::string S3Request::Describe() const {
  return method + " " + (key.empty() ? std::string("(bucket)") : QuoteObjectKey(key));
}

std::string S3Response::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

S3Http::S3Http(S3Options options, Clock* clock) : options_(std::move(options)), clock_(clock) {
  GlobalInitOnce();
}

S3Http::~S3Http() {
  for (void* handle : idle_handles_) curl_easy_cleanup(handle);
}

void* S3Http::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      curl_easy_reset(handle);  // keeps the connection cache
      return handle;
    }
  }
  return curl_easy_init();
}

void S3Http::ReleaseHandle(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_handles_.push_back(handle);
}

// Path-style: ENDPOINT/BUCKET/KEY?QUERY. The query is sorted and AWS-encoded here
// because curl 7.88 signs the query string exactly as given.
std::string S3Http::RequestUrl(const S3Request& request) const {
  std::string url = options_.endpoint + "/" + options_.bucket;
  if (!request.key.empty()) url += "/" + AwsUriEncode(request.key, /*keep_slash=*/true);
  auto query = request.query;
  std::sort(query.begin(), query.end());
  char sep = '?';
  for (const auto& [name, value] : query) {
    url += sep + AwsUriEncode(name, false) + "=" + AwsUriEncode(value, false);
    sep = '&';
  }
  return url;
}

Result<S3Response> S3Http::Send(const S3Request& request) {
  const std::string url = RequestUrl(request);
  const bool has_body = request.method == "PUT" || request.method == "POST";
  const std::string payload_hash =
      Sha256Hex(has_body ? request.body : std::string_view());  // once, not per attempt
  int64_t backoff = options_.backoff_ms;
  std::string error;
  for (int attempt = 1;; ++attempt) {
    S3Response response;
    void* handle = AcquireHandle();
    if (handle == nullptr) return Status::IOError("curl_easy_init failed");
    int code = Perform(handle, request, url, payload_hash, &response, &error);
    ReleaseHandle(handle);
    bool retry = code != CURLE_OK || RetryableStatus(response.status);
    if (!retry || attempt >= options_.max_attempts) {
      if (code == CURLE_OK) return response;
      return Status::Unavailable("S3 endpoint " + options_.endpoint + " unreachable after " +
                                 std::to_string(attempt) + " attempts: " + error + " (" +
                                 request.Describe() + ")");
    }
    CAIRN_LOG_WARN("S3 {} on {}: attempt {} failed ({}), retrying in {} ms", request.Describe(),
                   options_.redacted_url, attempt,
                   code == CURLE_OK ? "HTTP " + std::to_string(response.status) : error, backoff);
    clock_->SleepMillis(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff_ms);
  }
}

int S3Http::Perform(void* handle, const S3Request& request, const std::string& url,
                    const std::string& payload_hash, S3Response* response, std::string* error) {
  CURL* curl = handle;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  UploadCursor cursor{request.body, 0};
  curl_slist* headers = nullptr;
  bool has_body = request.method == "PUT" || request.method == "POST";
  // curl signs this header's value as the payload hash (s3rver requires it too).
  // No "Expect:" override: curl 7.88 would sign the suppressed header, and AWS would
  // then reject the signature; 100-continue costs one round trip on large bodies.
  std::string hash_header = "x-amz-content-sha256: " + payload_hash;
  headers = curl_slist_append(headers, hash_header.c_str());
  std::string token;
  if (!options_.session_token.empty()) {
    token = "x-amz-security-token: " + options_.session_token;
    headers = curl_slist_append(headers, token.c_str());
  }
  for (const auto& header : request.headers) headers = curl_slist_append(headers, header.c_str());

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  // A stalled transfer fails; a slow but moving one (a large object) may take long.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(options_.stall_timeout_ms / 1000)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response->body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response->headers);
  if (!options_.access_key.empty()) {
    std::string sigv4 = "aws:amz:" + options_.region + ":s3";
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.access_key.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.secret_key.c_str());
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &cursor);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
  curl_slist_free_all(headers);
  // The handle goes back to the pool: drop pointers into this stack frame.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK) {
    *error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  }
  return code;
}

}  // namespace cairn
