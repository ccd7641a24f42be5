// S3Http: sends one S3 REST request over libcurl, signed with SigV4 by curl
// (CURLOPT_AWS_SIGV4), path-style against the configured endpoint, with bounded
// exponential-backoff retries on connection errors, timeouts and 5xx/429 replies.
// Thread-safe; idle curl handles (and their connections) are reused.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "object_store/s3_options.h"

namespace cairn {

class Clock;

struct S3Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string key = "";        // full object key (store prefix included); "" = bucket
  std::vector<std::pair<std::string, std::string>> query = {};  // any order
  std::vector<std::string> headers = {};                        // "Name: value"
  std::string_view body = {};  // PUT/POST payload; must outlive Send()

  // "GET 'data/1.sst'" (or "GET (bucket)"): names the operation in error messages.
  std::string Describe() const;
};

struct S3Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased

  std::string Header(const std::string& lower_name) const;
};

class S3Http {
 public:
  S3Http(S3Options options, Clock* clock);
  ~S3Http();
  S3Http(const S3Http&) = delete;
  S3Http& operator=(const S3Http&) = delete;

  // Returns the final response whatever its HTTP status (5xx only after the retries
  // are spent); Unavailable naming the endpoint when no response arrived at all.
  Result<S3Response> Send(const S3Request& request);

  const S3Options& options() const { return options_; }

 private:
  void* AcquireHandle();
  void ReleaseHandle(void* handle);
  // One attempt; a curl error code != 0 means no complete response arrived.
  int Perform(void* handle, const S3Request& request, const std::string& url,
              const std::string& payload_hash, S3Response* response, std::string* error);
  std::string RequestUrl(const S3Request& request) const;

  const S3Options options_;
  Clock* const clock_;
  std::mutex mu_;
  std::vector<void*> idle_handles_;
};

}  // namespace cairn
