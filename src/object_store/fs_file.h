// POSIX file helpers for the fs object store: errno to Status, full writes, directory
// fsync, mkdir -p, and FsTempFile, the write-then-rename protocol that makes a put atomic.
// Objects hold metadata and data (password hashes in backups): directories are created
// 0700 and files 0600, private to the owner under any umask.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// Temporary files live next to their final path under this name prefix; List skips them
// and no key may have a segment starting with it.
inline constexpr std::string_view kFsTempPrefix = ".tmp-";

// IOError "cannot <what> '<path>': <strerror(err)>".
Status ErrnoError(std::string_view what, const std::string& path, int err);

// The parent directory of an absolute path ("/a/b/c" -> "/a/b").
std::string ParentDir(const std::string& path);

// Writes all of `data` to `fd`, retrying short writes and EINTR.
Status WriteFully(int fd, std::string_view data, const std::string& path);

// Makes the directory's entries (creates, renames, unlinks) durable.
Status SyncDir(const std::string& dir);

// Creates absolute directory `dir` and its missing parents (mkdir -p). Each directory it
// creates is made durable by syncing its parent.
Status MakeDirs(const std::string& dir);

// A file written under a hidden temporary name in the directory of `final_path` and
// published by rename, so readers see either the previous object or the complete new
// one. Destroying it unpublished removes the temporary file.
class FsTempFile {
 public:
  // Creates the temporary file, creating missing parent directories. `key` is only for
  // error messages.
  static Result<FsTempFile> Create(std::string final_path, std::string_view key);

  FsTempFile(FsTempFile&& other) noexcept;
  FsTempFile& operator=(FsTempFile&&) = delete;
  FsTempFile(const FsTempFile&) = delete;
  ~FsTempFile() { Discard(); }

  Status Append(std::string_view data);

  // Stamps `mtime_ms`, fsyncs, moves the file to the final path and fsyncs the
  // directory. kOverwrite renames over an existing object. kCreateOnly publishes with
  // renameat2(RENAME_NOREPLACE) (or, where the filesystem lacks it, link() and unlink of
  // the temporary name), so of racing publishers exactly one wins; AlreadyExists naming
  // `key` and `store` when an object is there, which stays untouched. On any error the
  // temporary file is left for Discard().
  Status Publish(int64_t mtime_ms, WriteMode mode, std::string_view store);

  // Closes and removes the temporary file. Idempotent; a no-op after Publish.
  void Discard();

 private:
  FsTempFile(int fd, std::string temp_path, std::string final_path, std::string_view key);
  Status Rename();
  Status RenameNoReplace(std::string_view store);
  Status LinkNoReplace(std::string_view store);
  // After EEXIST: AlreadyExists for an object, OK after removing an empty directory left
  // by deleted keys below it (the caller retries), InvalidArgument for a non-empty one.
  Status ClearNoReplaceTarget(std::string_view store);

  int fd_;
  std::string temp_path_;  // empty once published or discarded
  std::string final_path_;
  std::string key_;
};

// Testing only: while true, kCreateOnly publishes skip renameat2 and take the link()
// fallback, as on a filesystem without RENAME_NOREPLACE.
void ForceFsLinkFallbackForTesting(bool force);

}  // namespace cairn
