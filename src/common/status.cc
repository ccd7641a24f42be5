#include "common/status.h"

namespace cairn {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kCorruption:
      return "Corruption";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kIOError:
      return "IOError";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kAlreadyExists:
      return "AlreadyExists";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kNotSupported:
      return "NotSupported";
    case ErrorCode::kPermissionDenied:
      return "PermissionDenied";
    case ErrorCode::kBusy:
      return "Busy";
    case ErrorCode::kAborted:
      return "Aborted";
    case ErrorCode::kFailedPrecondition:
      return "FailedPrecondition";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

}  // namespace cairn
