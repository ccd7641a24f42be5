// S3ObjectStore: s3://bucket/prefix?endpoint=URL&region=R (design.md §2). Path-style
// S3 REST requests over libcurl, signed with SigV4; credentials from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Object keys are relative to the URL's
// prefix. Put is a single PUT (atomic in S3); NewWriter streams large objects as a
// multipart upload. PutIfAbsent and kCreateOnly writers are conditional writes
// (If-None-Match: *) preceded by a HEAD for servers that ignore the condition; see
// s3_writer.h for what that HEAD does and does not guarantee.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "object_store/object_store.h"
#include "object_store/s3_http.h"
#include "object_store/s3_options.h"

namespace cairn {

class S3ObjectStore final : public ObjectStore {
 public:
  // Credentials are taken from `options` as given (see LoadS3CredentialsFromEnv).
  S3ObjectStore(S3Options options, Clock* clock);

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectMeta> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override;
  std::string DescribeForLog() const override;

 private:
  std::string FullKey(std::string_view key) const;

  S3Http http_;
};

// Opens an s3:// URL with credentials from the environment. No request is sent:
// an unreachable endpoint or a missing bucket is reported by the first operation.
Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(std::string_view url,
                                                       const ObjectStoreOptions& options);

}  // namespace cairn
