#include "object_store/s3_writer.h"

#include <algorithm>

#include "object_store/s3_error.h"
#include "object_store/s3_xml.h"

namespace cairn {
namespace {

Status ObjectExists(const S3Options& options, const std::string& key) {
  // The key as the caller named it, without the store's prefix.
  std::string_view caller_key = key;
  if (caller_key.starts_with(options.prefix)) caller_key.remove_prefix(options.prefix.size());
  return ObjectExistsError(caller_key, options.redacted_url);
}

}  // namespace

Status S3CheckAbsent(S3Http& http, const std::string& key) {
  Result<S3Response> head = S3Call(http, {.method = "HEAD", .key = key});
  if (head.ok()) return ObjectExists(http.options(), key);
  return head.status().IsNotFound() ? Status::OK() : head.status();
}

Result<S3Response> S3CreateOnlyCall(S3Http& http, S3Request request) {
  request.headers.emplace_back(kS3IfNoneMatchAny);
  CAIRN_ASSIGN_OR_RETURN(S3Response response, http.Send(request));
  if (response.status == 412 || ParseS3Error(response.body).code == "PreconditionFailed") {
    return ObjectExists(http.options(), request.key);
  }
  if (response.status < 200 || response.status > 299) {
    return S3ResponseStatus(http.options(), request, response);
  }
  return response;
}

Status S3PutObject(S3Http& http, const std::string& key, std::string_view data, WriteMode mode) {
  S3Request put{.method = "PUT", .key = key, .body = data};
  if (mode == WriteMode::kOverwrite) return S3Call(http, put).status();
  CAIRN_RETURN_IF_ERROR(S3CheckAbsent(http, key));
  return S3CreateOnlyCall(http, put).status();
}

S3ObjectWriter::S3ObjectWriter(S3Http* http, std::string key, WriteMode mode)
    : http_(http), key_(std::move(key)), mode_(mode) {}

S3ObjectWriter::~S3ObjectWriter() {
  if (state_ == State::kOpen) Abort();
}

Status S3ObjectWriter::CheckOpen() const {
  switch (state_) {
    case State::kOpen:
      return Status::OK();
    case State::kFinished:
      return Status::InvalidArgument("writer for '" + key_ + "' is finished");
    case State::kAborted:
      return Status::Aborted("writer for '" + key_ + "' was aborted");
    case State::kFailed:
      break;
  }
  return failure_;
}

Status S3ObjectWriter::Append(std::string_view data) {
  CAIRN_RETURN_IF_ERROR(CheckOpen());
  const size_t part_size = http_->options().part_size;
  while (!data.empty()) {
    size_t take = std::min(data.size(), part_size - buffer_.size());
    buffer_.append(data.substr(0, take));
    data.remove_prefix(take);
    bytes_written_ += take;
    if (buffer_.size() == part_size) CAIRN_RETURN_IF_ERROR(Fail(UploadPart()));
  }
  return Status::OK();
}

Status S3ObjectWriter::UploadPart() {
  if (upload_id_.empty()) {
    if (create_only()) CAIRN_RETURN_IF_ERROR(S3CheckAbsent(*http_, key_));
    S3Request create{.method = "POST", .key = key_, .query = {{"uploads", ""}}};
    CAIRN_ASSIGN_OR_RETURN(S3Response response, S3Call(*http_, create));
    CAIRN_ASSIGN_OR_RETURN(upload_id_, ParseUploadId(response.body));
  }
  std::string part_number = std::to_string(etags_.size() + 1);
  S3Request put{.method = "PUT",
                .key = key_,
                .query = {{"partNumber", part_number}, {"uploadId", upload_id_}},
                .body = buffer_};
  CAIRN_ASSIGN_OR_RETURN(S3Response response, S3Call(*http_, put));
  std::string etag = response.Header("etag");
  if (etag.empty()) {
    return Status::Corruption("S3 UploadPart " + part_number + " of '" + key_ + "' has no ETag");
  }
  etags_.push_back(std::move(etag));
  buffer_.clear();
  return Status::OK();
}

Status S3ObjectWriter::Complete() {
  if (!buffer_.empty()) CAIRN_RETURN_IF_ERROR(UploadPart());
  // Narrows the race on servers that ignore If-None-Match to the completion itself.
  if (create_only()) CAIRN_RETURN_IF_ERROR(S3CheckAbsent(*http_, key_));
  std::string xml = CompleteMultipartXml(etags_);
  S3Request complete{.method = "POST",
                     .key = key_,
                     .query = {{"uploadId", upload_id_}},
                     .headers = {"Content-Type: application/xml"},
                     .body = xml};
  CAIRN_ASSIGN_OR_RETURN(S3Response response, create_only() ? S3CreateOnlyCall(*http_, complete)
                                                            : S3Call(*http_, complete));
  // S3 may report a failed completion inside a 200 reply.
  S3ErrorBody error = ParseS3Error(response.body);
  if (!error.code.empty()) {
    return Status::IOError(
        RedactS3Secrets(http_->options(), "S3 CompleteMultipartUpload of '" + key_ + "' on " +
                                              http_->options().redacted_url +
                                              " failed: " + error.code + ": " + error.message));
  }
  return Status::OK();
}

Status S3ObjectWriter::Finish() {
  CAIRN_RETURN_IF_ERROR(CheckOpen());
  Status status;
  if (upload_id_.empty()) {
    status = S3PutObject(*http_, key_, buffer_, mode_);
  } else {
    status = Complete();
  }
  CAIRN_RETURN_IF_ERROR(Fail(status));
  state_ = State::kFinished;
  buffer_.clear();
  buffer_.shrink_to_fit();
  return Status::OK();
}

Status S3ObjectWriter::Fail(Status status) {
  if (status.ok()) return status;
  Abort();
  state_ = State::kFailed;
  failure_ = status;
  return status;
}

void S3ObjectWriter::Abort() {
  if (state_ != State::kOpen) return;
  state_ = State::kAborted;
  buffer_.clear();
  buffer_.shrink_to_fit();
  if (upload_id_.empty()) return;
  S3Request abort{.method = "DELETE", .key = key_, .query = {{"uploadId", upload_id_}}};
  // Best effort: a leftover upload is invisible and S3 lifecycle rules expire it.
  (void)S3Call(*http_, abort);
}

}  // namespace cairn
