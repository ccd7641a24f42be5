// S3ObjectWriter: streaming upload. Bytes are buffered up to one part; a small object
// becomes a single PUT at Finish(), a large one a multipart upload (parts uploaded as
// the buffer fills, CompleteMultipartUpload at Finish). Nothing is visible before
// Finish; Abort (or destruction without Finish) aborts the multipart upload.
#pragma once

#include <string>
#include <vector>

#include "object_store/object_store.h"
#include "object_store/s3_http.h"

namespace cairn {

class S3ObjectWriter final : public ObjectWriter {
 public:
  // `http` must outlive the writer; `key` is the full S3 key (prefix included).
  S3ObjectWriter(S3Http* http, std::string key);
  ~S3ObjectWriter() override;

  Status Append(std::string_view data) override;
  Status Finish() override;
  void Abort() override;
  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  enum class State { kOpen, kFinished, kAborted, kFailed };

  Status CheckOpen() const;
  Status UploadPart();
  Status Complete();
  // Records `status` as the writer's failure and aborts the upload when it is an error.
  Status Fail(Status status);

  S3Http* const http_;
  const std::string key_;
  State state_ = State::kOpen;
  std::string buffer_;
  std::string upload_id_;  // empty until the first part is uploaded
  std::vector<std::string> etags_;
  uint64_t bytes_written_ = 0;
};

}  // namespace cairn
