#include "object_store/fs_object_store.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "common/clock.h"
#include "object_store/fs_file.h"
#include "object_store/fs_list.h"

namespace cairn {
namespace {

// Appends are gathered into writes of this size: large enough to amortize syscalls,
// small enough to bound a writer's memory.
constexpr size_t kWriteBufferSize = 1 << 20;

struct FdCloser {
  int fd;
  ~FdCloser() { close(fd); }
};

// Bytes [offset, offset+length) of an open file of `size` bytes, clipped to it.
Result<std::string> PreadRange(int fd, uint64_t size, uint64_t offset, uint64_t length,
                               const std::string& path) {
  if (offset >= size) return std::string();
  std::string out(std::min(length, size - offset), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", path, errno);
    if (n == 0) break;  // objects are replaced, never truncated in place; be safe anyway
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// Descriptors held by open FsObjectReaders, process-wide. They may take at most half
// of RLIMIT_NOFILE: the rest stays for sockets, the meta store and object writes (a
// TableCache of 10,000 SSTs would otherwise starve them); past it, readers open the
// file per read.
std::atomic<int64_t> g_reader_fds{0};

bool TakeReaderFd() {
  struct rlimit limit;
  int64_t budget = INT64_MAX;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    budget = static_cast<int64_t>(limit.rlim_cur / 2);
  }
  if (g_reader_fds.fetch_add(1) < budget) return true;
  g_reader_fds.fetch_sub(1);
  return false;
}

// An object opened once; its size is fixed at the open (objects are immutable). Holds
// one of the descriptors TakeReaderFd granted.
class FsObjectReader final : public ObjectReader {
 public:
  FsObjectReader(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  ~FsObjectReader() override {
    close(fd_);
    g_reader_fds.fetch_sub(1);
  }
  Result<std::string> Read(uint64_t offset, uint64_t length) override {
    return PreadRange(fd_, size_, offset, length, path_);
  }

 private:
  const int fd_;
  const uint64_t size_;
  const std::string path_;
};

int64_t MtimeMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

// The common key rules plus the name space reserved for temporary files.
Status ValidateFsKey(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  size_t start = 0;
  while (start < key.size()) {
    if (key.substr(start).starts_with(kFsTempPrefix)) {
      return Status::InvalidArgument("invalid object key " + QuoteObjectKey(key) +
                                     ": path segments starting with '" +
                                     std::string(kFsTempPrefix) + "' are reserved by the fs store");
    }
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::OK();
}

class FsObjectWriter final : public ObjectWriter {
 public:
  FsObjectWriter(FsTempFile file, std::string_view key, WriteMode mode, std::string store,
                 Clock* clock)
      : file_(std::move(file)), key_(key), mode_(mode), store_(std::move(store)), clock_(clock) {
    buffer_.reserve(kWriteBufferSize);
  }
  ~FsObjectWriter() override { Abort(); }

  Status Append(std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(CheckOpen());
    bytes_written_ += data.size();
    if (buffer_.size() + data.size() <= kWriteBufferSize) {
      buffer_.append(data);
      return Status::OK();
    }
    Status s = Flush();
    if (s.ok() && data.size() >= kWriteBufferSize) {
      s = file_.Append(data);
    } else if (s.ok()) {
      buffer_.append(data);
    }
    return Fail(s);
  }

  Status Finish() override {
    CAIRN_RETURN_IF_ERROR(CheckOpen());
    Status s = Flush();
    if (s.ok()) s = file_.Publish(clock_->NowMillis(), mode_, store_);
    closed_ = true;
    return Fail(s);
  }

  void Abort() override {
    file_.Discard();
    closed_ = true;
    std::string().swap(buffer_);
  }

  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  Status CheckOpen() const {
    if (!error_.ok()) return error_;
    if (closed_) {
      return Status::InvalidArgument("writer for object " + QuoteObjectKey(key_) +
                                     " is already finished or aborted");
    }
    return Status::OK();
  }

  Status Flush() {
    Status s = file_.Append(buffer_);
    buffer_.clear();
    return s;
  }

  // Remembers the first error; a failed writer discards its temporary file.
  Status Fail(Status s) {
    if (!s.ok()) {
      error_ = s;
      file_.Discard();
    }
    return s;
  }

  FsTempFile file_;
  std::string key_;
  WriteMode mode_;
  std::string store_;  // DescribeForLog() of the store, for AlreadyExists
  Clock* clock_;
  std::string buffer_;
  uint64_t bytes_written_ = 0;
  bool closed_ = false;
  Status error_;
};

class FsObjectStore final : public ObjectStore {
 public:
  FsObjectStore(std::string root, Clock* clock) : root_(std::move(root)), clock_(clock) {}

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override {
    return Write(key, data, WriteMode::kOverwrite);
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    return Write(key, data, WriteMode::kCreateOnly);
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override {
    CAIRN_RETURN_IF_ERROR(ValidateFsKey(key));
    CAIRN_ASSIGN_OR_RETURN(FsTempFile file, FsTempFile::Create(PathOf(key), key));
    return std::unique_ptr<ObjectWriter>(
        std::make_unique<FsObjectWriter>(std::move(file), key, mode, DescribeForLog(), clock_));
  }

  Result<std::string> Get(std::string_view key) override { return Read(key, 0, UINT64_MAX); }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return Read(key, offset, length);
  }

  Result<ObjectMeta> Head(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateFsKey(key));
    std::string path = PathOf(key);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return NotFound(key);
      return ErrnoError("stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) return NotFound(key);
    return ObjectMeta{std::string(key), static_cast<uint64_t>(st.st_size), MtimeMillis(st)};
  }

  Status Delete(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateFsKey(key));
    std::string path = PathOf(key);
    if (unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return Status::OK();
      return ErrnoError("delete", path, errno);
    }
    // Without this a crash could bring the object back.
    return SyncDir(ParentDir(path));
  }

  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override {
    if (limit == 0) return Status::InvalidArgument("list limit must be > 0");
    return ListFsObjects(root_, prefix, token, limit, &list_cache_);
  }

  std::string DescribeForLog() const override { return "fs://" + root_; }

 private:
  std::string PathOf(std::string_view key) const { return root_ + "/" + std::string(key); }

  Status Write(std::string_view key, std::string_view data, WriteMode mode) {
    CAIRN_RETURN_IF_ERROR(ValidateFsKey(key));
    CAIRN_ASSIGN_OR_RETURN(FsTempFile file, FsTempFile::Create(PathOf(key), key));
    CAIRN_RETURN_IF_ERROR(file.Append(data));
    return file.Publish(clock_->NowMillis(), mode, DescribeForLog());
  }

  Status NotFound(std::string_view key) const {
    return Status::NotFound("object " + QuoteObjectKey(key) + " not found in " + DescribeForLog());
  }

  Result<std::string> Read(std::string_view key, uint64_t offset, uint64_t length) {
    CAIRN_ASSIGN_OR_RETURN(OpenFile file, Open(key));
    FdCloser closer{file.fd};
    return PreadRange(file.fd, file.size, offset, length, file.path);
  }

  // Past the readers' share of file descriptors (TakeReaderFd), or out of them: a
  // reader that opens the file per read, as GetRange does.
  Result<std::unique_ptr<ObjectReader>> OpenReader(std::string_view key) override {
    if (!TakeReaderFd()) return ObjectStore::OpenReader(key);
    int open_errno = 0;
    auto opened = Open(key, &open_errno);
    if (!opened.ok()) g_reader_fds.fetch_sub(1);
    if (!opened.ok() && (open_errno == EMFILE || open_errno == ENFILE)) {
      return ObjectStore::OpenReader(key);
    }
    CAIRN_ASSIGN_OR_RETURN(OpenFile file, std::move(opened));
    return std::unique_ptr<ObjectReader>(
        std::make_unique<FsObjectReader>(file.fd, file.size, std::move(file.path)));
  }

  struct OpenFile {
    int fd;
    uint64_t size;
    std::string path;
  };
  // Opens a regular file for reading; NotFound (naming the key) when there is none.
  // `open_errno` (optional) gets open(2)'s errno when that fails.
  Result<OpenFile> Open(std::string_view key, int* open_errno = nullptr) {
    CAIRN_RETURN_IF_ERROR(ValidateFsKey(key));
    std::string path = PathOf(key);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (open_errno) *open_errno = errno;
      if (errno == ENOENT || errno == ENOTDIR) return NotFound(key);
      return ErrnoError("open", path, errno);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      return ErrnoError("stat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
      close(fd);
      return NotFound(key);
    }
    return OpenFile{fd, static_cast<uint64_t>(st.st_size), std::move(path)};
  }

  const std::string root_;
  Clock* const clock_;
  FsListCache list_cache_;  // sorted snapshots of large directories, for paging
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenFsObjectStore(const Url& url,
                                                       const ObjectStoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::string root, url.AbsolutePath());
  if (!url.query.empty()) {
    return Status::InvalidArgument("invalid URL '" + url.Redacted() +
                                   "': fs URLs take no query parameters");
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  struct stat st;
  if (stat(root.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("fs object store root '" + root +
                                     "' exists and is not a directory");
    }
  } else {
    Status made = MakeDirs(root);
    if (!made.ok()) {
      return made.WithContext("cannot create fs object store root '" + root + "'");
    }
  }
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  return std::unique_ptr<ObjectStore>(std::make_unique<FsObjectStore>(std::move(root), clock));
}

}  // namespace cairn
