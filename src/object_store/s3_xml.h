// The S3 XML documents the object store reads and writes (via pugixml).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// <Error><Code>NoSuchKey</Code><Message>...</Message></Error>; empty fields when the
// body is not an S3 error document.
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody ParseS3Error(std::string_view xml);

// ListObjectsV2 result. Keys are returned as S3 sent them (store prefix included).
struct S3ListResult {
  std::vector<ObjectMeta> objects;
  std::string next_token;  // empty unless IsTruncated
};
Result<S3ListResult> ParseListObjectsV2(std::string_view xml);

// The UploadId of an InitiateMultipartUploadResult.
Result<std::string> ParseUploadId(std::string_view xml);

// CompleteMultipartUpload body for parts 1..etags.size().
std::string CompleteMultipartXml(const std::vector<std::string>& etags);

}  // namespace cairn
