// S3ObjectWriter: streaming upload. Bytes are buffered up to one part; a small object
// becomes a single PUT at Finish(), a large one a multipart upload (parts uploaded as
// the buffer fills, CompleteMultipartUpload at Finish). Nothing is visible before
// Finish; Abort (or destruction without Finish) aborts the multipart upload.
//
// Create-only writes (PutIfAbsent, kCreateOnly writers) send `If-None-Match: *` on the
// request that publishes the object (PutObject, CompleteMultipartUpload). S3 evaluates
// it atomically and answers 412 PreconditionFailed when the key exists, which becomes
// AlreadyExists. Servers that ignore the header (s3rver 3.7.1 does) would overwrite, so
// a HEAD is sent first as well: before the single PUT, before CreateMultipartUpload
// (Append then fails with AlreadyExists, so no part is uploaded in vain) and again
// before CompleteMultipartUpload. The HEAD is racy: an object created between it and
// the publish is still overwritten on such servers. On real S3 the header closes that
// race; the HEAD costs one round trip per create-only write.
#pragma once

#include <string>
#include <vector>

#include "object_store/object_store.h"
#include "object_store/s3_http.h"

namespace cairn {

// The header that makes S3 refuse to replace an existing object.
inline constexpr char kS3IfNoneMatchAny[] = "If-None-Match: *";

// OK when no object has the full S3 key `key` (a HEAD answered 404), AlreadyExists
// naming the key and the store when one does, else the HEAD's error.
Status S3CheckAbsent(S3Http& http, const std::string& key);

// PutObject of `data` at the full S3 key `key`: with kCreateOnly, S3CheckAbsent then
// S3CreateOnlyCall.
Status S3PutObject(S3Http& http, const std::string& key, std::string_view data, WriteMode mode);

// Sends a publishing request with kS3IfNoneMatchAny added: 412 (or a PreconditionFailed
// error) -> AlreadyExists, any other non-2xx reply as S3Call maps it.
Result<S3Response> S3CreateOnlyCall(S3Http& http, S3Request request);

class S3ObjectWriter final : public ObjectWriter {
 public:
  // `http` must outlive the writer; `key` is the full S3 key (prefix included).
  S3ObjectWriter(S3Http* http, std::string key, WriteMode mode);
  ~S3ObjectWriter() override;

  Status Append(std::string_view data) override;
  Status Finish() override;
  void Abort() override;
  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  enum class State { kOpen, kFinished, kAborted, kFailed };

  bool create_only() const { return mode_ == WriteMode::kCreateOnly; }
  Status CheckOpen() const;
  Status UploadPart();
  Status Complete();
  // Records `status` as the writer's failure and aborts the upload when it is an error.
  Status Fail(Status status);

  S3Http* const http_;
  const std::string key_;
  const WriteMode mode_;
  State state_ = State::kOpen;
  Status failure_;  // in kFailed: the error every later call returns
  std::string buffer_;
  std::string upload_id_;  // empty until the first part is uploaded
  std::vector<std::string> etags_;
  uint64_t bytes_written_ = 0;
};

}  // namespace cairn
