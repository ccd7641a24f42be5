#include "object_store/fs_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <system_error>

namespace cairn {
namespace {

// Temp names are <prefix><pid>-<n>: unique among live processes; O_EXCL catches a
// leftover from a crashed process that had the same pid.
std::atomic<uint64_t> g_next_temp_id{0};
constexpr int kMaxTempNameAttempts = 100;
// A create-only publish retries after removing an empty directory in the way.
constexpr int kMaxNoReplaceAttempts = 3;
std::atomic<bool> g_force_link_fallback{false};

Status KeyBelowObject(std::string_view key) {
  return Status::InvalidArgument("object key " + QuoteObjectKey(key) +
                                 " lies below an existing object (a parent path is a file); "
                                 "the fs store cannot hold both 'x' and 'x/...'");
}

Status KeyAboveObjects(std::string_view key) {
  return Status::InvalidArgument("object key " + QuoteObjectKey(key) +
                                 " names a directory holding other objects; the fs store "
                                 "cannot hold both 'x' and 'x/...'");
}

Status TargetKeepsReappearing(std::string_view key, const std::string& path) {
  return Status::IOError("cannot publish object " + QuoteObjectKey(key) + " at '" + path +
                         "': an empty directory keeps reappearing there");
}

// renameat2(RENAME_NOREPLACE): 0 or the errno (EINVAL where the filesystem lacks it).
int RenameNoReplaceErrno(const std::string& from, const std::string& to) {
  if (g_force_link_fallback.load(std::memory_order_relaxed)) return EINVAL;
  int rc = renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
  return rc == 0 ? 0 : errno;
}

// mkdir -p returning the errno of the first failing step (0 on success) and its path.
int MakeDirsErrno(const std::string& dir, std::string* failed) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0700) == 0) {
      Status synced = SyncDir(ParentDir(part));
      if (!synced.ok()) {
        *failed = ParentDir(part);
        return EIO;
      }
    } else if (errno != EEXIST) {
      *failed = part;
      return errno;
    }
  }
  return 0;
}

}  // namespace

Status ErrnoError(std::string_view what, const std::string& path, int err) {
  return Status::IOError("cannot " + std::string(what) + " '" + path +
                         "': " + std::system_category().message(err));
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return path.substr(0, slash);
}

Status WriteFully(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    if (n == 0) return ErrnoError("write", path, ENOSPC);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open directory", dir, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  return rc == 0 ? Status::OK() : ErrnoError("fsync directory", dir, err);
}

Status MakeDirs(const std::string& dir) {
  std::string failed;
  int err = MakeDirsErrno(dir, &failed);
  return err == 0 ? Status::OK() : ErrnoError("create directory", failed, err);
}

Result<FsTempFile> FsTempFile::Create(std::string final_path, std::string_view key) {
  std::string dir = ParentDir(final_path);
  std::string prefix = dir + "/" + std::string(kFsTempPrefix) + std::to_string(getpid()) + "-";
  bool made_dirs = false;
  for (int attempt = 0; attempt < kMaxTempNameAttempts; ++attempt) {
    std::string temp = prefix + std::to_string(g_next_temp_id.fetch_add(1));
    int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return FsTempFile(fd, std::move(temp), std::move(final_path), key);
    int err = errno;
    if (err == EEXIST || err == EINTR) continue;
    if (err == ENOTDIR) return KeyBelowObject(key);
    if (err != ENOENT || made_dirs) return ErrnoError("create", temp, err);
    // The parent directories do not exist yet: the first object under this path.
    made_dirs = true;
    std::string failed;
    err = MakeDirsErrno(dir, &failed);
    if (err == ENOTDIR) return KeyBelowObject(key);
    if (err != 0) return ErrnoError("create directory", failed, err);
  }
  return Status::IOError("cannot create a temporary file in '" + dir +
                         "': too many name collisions");
}

FsTempFile::FsTempFile(int fd, std::string temp_path, std::string final_path, std::string_view key)
    : fd_(fd), temp_path_(std::move(temp_path)), final_path_(std::move(final_path)), key_(key) {}

FsTempFile::FsTempFile(FsTempFile&& other) noexcept
    : fd_(other.fd_),
      temp_path_(std::move(other.temp_path_)),
      final_path_(std::move(other.final_path_)),
      key_(std::move(other.key_)) {
  other.fd_ = -1;
  other.temp_path_.clear();
}

Status FsTempFile::Append(std::string_view data) {
  if (fd_ < 0) return Status::InvalidArgument("object " + QuoteObjectKey(key_) + " is closed");
  return WriteFully(fd_, data, temp_path_);
}

Status FsTempFile::Publish(int64_t mtime_ms, WriteMode mode, std::string_view store) {
  if (fd_ < 0) return Status::InvalidArgument("object " + QuoteObjectKey(key_) + " is closed");
  // The mtime comes from the injected clock so that min-age checks agree with it.
  timespec times[2] = {{0, UTIME_OMIT}, {mtime_ms / 1000, (mtime_ms % 1000) * 1'000'000}};
  if (futimens(fd_, times) != 0) return ErrnoError("set mtime of", temp_path_, errno);
  if (fsync(fd_) != 0) return ErrnoError("fsync", temp_path_, errno);
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return ErrnoError("close", temp_path_, errno);
  CAIRN_RETURN_IF_ERROR(mode == WriteMode::kCreateOnly ? RenameNoReplace(store) : Rename());
  temp_path_.clear();
  return SyncDir(ParentDir(final_path_));
}

Status FsTempFile::Rename() {
  if (rename(temp_path_.c_str(), final_path_.c_str()) == 0) return Status::OK();
  int err = errno;
  if (err != EISDIR && err != ENOTEMPTY && err != EEXIST) {
    return ErrnoError("rename '" + temp_path_ + "' to", final_path_, err);
  }
  // The final path is a directory; an empty one is left over from deleted keys below it.
  if (rmdir(final_path_.c_str()) != 0) return KeyAboveObjects(key_);
  if (rename(temp_path_.c_str(), final_path_.c_str()) == 0) return Status::OK();
  return ErrnoError("rename '" + temp_path_ + "' to", final_path_, errno);
}

Status FsTempFile::RenameNoReplace(std::string_view store) {
  for (int attempt = 0; attempt < kMaxNoReplaceAttempts; ++attempt) {
    int err = RenameNoReplaceErrno(temp_path_, final_path_);
    if (err == 0) return Status::OK();
    if (err == EINVAL || err == ENOSYS) return LinkNoReplace(store);
    if (err != EEXIST) {
      return ErrnoError("rename '" + temp_path_ + "' (no replace) to", final_path_, err);
    }
    CAIRN_RETURN_IF_ERROR(ClearNoReplaceTarget(store));
  }
  return TargetKeepsReappearing(key_, final_path_);
}

// link() fails with EEXIST rather than replace: the same guarantee as RENAME_NOREPLACE.
// The temporary name is then unlinked; should that fail, the published object is still
// whole and the leftover is invisible to List, like a crashed writer's.
Status FsTempFile::LinkNoReplace(std::string_view store) {
  for (int attempt = 0; attempt < kMaxNoReplaceAttempts; ++attempt) {
    if (link(temp_path_.c_str(), final_path_.c_str()) == 0) {
      unlink(temp_path_.c_str());
      return Status::OK();
    }
    int err = errno;
    if (err != EEXIST) return ErrnoError("link '" + temp_path_ + "' to", final_path_, err);
    CAIRN_RETURN_IF_ERROR(ClearNoReplaceTarget(store));
  }
  return TargetKeepsReappearing(key_, final_path_);
}

Status FsTempFile::ClearNoReplaceTarget(std::string_view store) {
  struct stat st;
  if (lstat(final_path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();  // deleted meanwhile: try again
    return ErrnoError("stat", final_path_, errno);
  }
  if (!S_ISDIR(st.st_mode)) return ObjectExistsError(key_, store);
  if (rmdir(final_path_.c_str()) != 0 && errno != ENOENT) return KeyAboveObjects(key_);
  return Status::OK();
}

void ForceFsLinkFallbackForTesting(bool force) { g_force_link_fallback.store(force); }

void FsTempFile::Discard() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  temp_path_.clear();
}

}  // namespace cairn
