// Status and Result<T>: how every module reports failure across its boundary.
// No exception escapes a module; callers branch on the error kind.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace cairn {

enum class ErrorCode {
  kOk = 0,
  kNotFound,
  kCorruption,
  kInvalidArgument,
  kIOError,
  kConflict,  // a transaction compare failed, or a concurrent writer won
  kAlreadyExists,
  kUnavailable,  // an endpoint cannot be reached; retrying may help
  kNotSupported,
  kPermissionDenied,
  kBusy,  // a resource is held by someone else (lease, running job)
  kAborted,
  kFailedPrecondition,  // the stores' state forbids it (another cluster, unfinished restore)
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status IOError(std::string m) { return {ErrorCode::kIOError, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status NotSupported(std::string m) { return {ErrorCode::kNotSupported, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }
  static Status Busy(std::string m) { return {ErrorCode::kBusy, std::move(m)}; }
  static Status Aborted(std::string m) { return {ErrorCode::kAborted, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {ErrorCode::kFailedPrecondition, std::move(m)};
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == ErrorCode::kNotFound; }
  bool IsConflict() const { return code_ == ErrorCode::kConflict; }
  bool IsCorruption() const { return code_ == ErrorCode::kCorruption; }

  // "NotFound: object data/1.sst" — for logs and `error: ...` lines.
  std::string ToString() const;

  // Returns a copy with `context` prepended to the message: "context: message".
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& o) const { return code_ == o.code_ && message_ == o.message_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

}  // namespace cairn

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)

#define CAIRN_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::cairn::Status _cairn_status = (expr);        \
    if (!_cairn_status.ok()) return _cairn_status; \
  } while (0)
