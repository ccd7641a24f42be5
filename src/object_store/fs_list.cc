#include "object_store/fs_list.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <utility>
#include <vector>

#include "object_store/fs_file.h"

namespace cairn {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

struct FdCloser {
  int fd;
  ~FdCloser() { close(fd); }
};

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t MtimeMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

// Whether a change made after `read_start` (the coarse clock file timestamps come from,
// read before the directory was stat'ed and read) must give the directory a timestamp
// other than the one in `st`. Linux truncates timestamps to the file system's
// granularity, a power of ten: a timestamp that is not a whole microsecond proves a fine
// granularity; otherwise assume up to 2 s (FAT). With multigrain timestamps a
// fine-grained mtime can be ahead of the coarse clock; such a snapshot is not reused.
bool Settled(const struct stat& st, const struct timespec& read_start) {
  bool fine = st.st_mtim.tv_nsec % 1000 != 0 || st.st_ctim.tv_nsec % 1000 != 0;
  int64_t margin = fine ? 1'000'000 : 2'000'000'000;
  return std::max(Nanos(st.st_mtim), Nanos(st.st_ctim)) + margin < Nanos(read_start);
}

// The first 16 bytes of `name`, big-endian, zero-padded: if one name sorts before
// another, its prefix is <= the other's (equal prefixes need the names).
std::pair<uint64_t, uint64_t> NamePrefix(std::string_view name) {
  uint64_t word[2] = {0, 0};
  for (size_t i = 0; i < 16 && i < name.size(); ++i) {
    word[i / 8] |= uint64_t{static_cast<unsigned char>(name[i])} << (56 - 8 * (i % 8));
  }
  return {word[0], word[1]};
}

// Sorts the entries by name. Readdir returns them in hash order; comparing names in the
// buffer is a cache miss and a memcmp per comparison (1M SSTs in data/), comparing
// (prefix, position) pairs is not, and SST names differ in their first 16 bytes.
void SortByName(FsDirSnapshot* dir) {
  struct Key {
    std::pair<uint64_t, uint64_t> prefix;
    size_t index;
  };
  std::vector<Key> keys;
  keys.reserve(dir->entries.size());
  for (size_t i = 0; i < dir->entries.size(); ++i) {
    keys.push_back({NamePrefix(dir->name(dir->entries[i])), i});
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return dir->name(dir->entries[a.index]) < dir->name(dir->entries[b.index]);
  });
  // entries[i] = old entries[keys[i].index], in place, one cycle at a time.
  constexpr size_t kPlaced = SIZE_MAX;
  auto& entries = dir->entries;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].index == kPlaced) continue;
    const FsDirSnapshot::Entry first = entries[i];
    size_t j = i;
    while (keys[j].index != i) {
      const size_t from = keys[j].index;
      entries[j] = entries[from];
      keys[j].index = kPlaced;
      j = from;
    }
    entries[j] = first;
    keys[j].index = kPlaced;
  }
}

// Reads and sorts the listable entries: regular files and directories, not temp files.
Result<std::shared_ptr<const FsDirSnapshot>> ReadDirSnapshot(int dir_fd, const std::string& path) {
  int fd = dup(dir_fd);
  if (fd < 0) return ErrnoError("list directory", path, errno);
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(fd));
  if (!dir) {
    int err = errno;
    close(fd);
    return ErrnoError("list directory", path, err);
  }
  rewinddir(dir.get());  // the duplicate shares its offset with earlier reads
  auto snapshot = std::make_shared<FsDirSnapshot>();
  errno = 0;
  while (dirent* ent = readdir(dir.get())) {
    std::string_view name = ent->d_name;
    if (name == "." || name == ".." || name.starts_with(kFsTempPrefix)) continue;
    unsigned char type = ent->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dir_fd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (type != DT_DIR && type != DT_REG) continue;
    const bool is_dir = type == DT_DIR;
    snapshot->entries.push_back(FsDirSnapshot::Entry{
        snapshot->names.size(), static_cast<uint32_t>(name.size() + is_dir), is_dir});
    snapshot->names.append(name);
    if (is_dir) snapshot->names.push_back('/');
    snapshot->names.push_back('\0');
    errno = 0;
  }
  if (errno != 0) return ErrnoError("read directory", path, errno);
  SortByName(snapshot.get());
  return std::shared_ptr<const FsDirSnapshot>(std::move(snapshot));
}

class FsLister {
 public:
  FsLister(const std::string& root, std::string_view prefix, std::string_view token, size_t want,
           FsListCache* cache)
      : root_(root), prefix_(prefix), token_(token), want_(want), cache_(cache) {}

  // Appends the wanted objects of directory `rel` ("" for the root, else "a/b/").
  Status ListDir(const std::string& rel) {
    std::string path = rel.empty() ? root_ : root_ + "/" + rel.substr(0, rel.size() - 1);
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
      return ErrnoError("list directory", path, errno);
    }
    FdCloser closer{fd};
    std::shared_ptr<const FsDirSnapshot> snapshot;
    if (cache_ != nullptr) {
      CAIRN_ASSIGN_OR_RETURN(snapshot, cache_->Get(fd, path));
    } else {
      CAIRN_ASSIGN_OR_RETURN(snapshot, ReadDirSnapshot(fd, path));
    }
    const auto& entries = snapshot->entries;
    // The rest of the prefix inside this directory names a contiguous run of entries.
    std::string_view name_prefix;
    if (prefix_.size() > rel.size()) name_prefix = prefix_.substr(rel.size());
    for (size_t i = StartIndex(rel, *snapshot, name_prefix);
         i < entries.size() && objects_.size() < want_; ++i) {
      const FsDirSnapshot::Entry& entry = entries[i];
      std::string_view name = snapshot->name(entry);
      if (!name.starts_with(name_prefix)) break;
      std::string key = rel;
      key.append(name);
      if (!Wanted(key, entry.is_dir)) continue;
      if (entry.is_dir) {
        std::string_view as_key(key.data(), key.size() - 1);
        if (ValidateObjectKey(as_key).ok()) CAIRN_RETURN_IF_ERROR(ListDir(key));
      } else {
        CAIRN_RETURN_IF_ERROR(AddObject(fd, path, snapshot->c_name(entry), std::move(key)));
      }
    }
    return Status::OK();
  }

  std::vector<ObjectMeta>& objects() { return objects_; }

 private:
  // The first entry that can hold a wanted key: at or after the prefix, and after the
  // token, or the directory the token lies in.
  size_t StartIndex(const std::string& rel, const FsDirSnapshot& dir,
                    std::string_view name_prefix) const {
    const auto& entries = dir.entries;
    auto by_name = [&](const FsDirSnapshot::Entry& e, std::string_view v) {
      return dir.name(e) < v;
    };
    size_t start =
        std::lower_bound(entries.begin(), entries.end(), name_prefix, by_name) - entries.begin();
    if (token_.empty() || !token_.starts_with(rel)) return start;
    std::string_view rest = token_.substr(rel.size());
    auto after = std::upper_bound(
        entries.begin(), entries.end(), rest,
        [&](std::string_view v, const FsDirSnapshot::Entry& e) { return v < dir.name(e); });
    size_t token_start = after - entries.begin();
    if (token_start > 0) {
      const auto& before = entries[token_start - 1];
      if (before.is_dir && rest.starts_with(dir.name(before))) --token_start;
    }
    return std::max(start, token_start);
  }

  // Whether the key (or, for a directory, some key below it) can be in the page.
  bool Wanted(std::string_view key, bool is_dir) const {
    bool prefix_ok = key.starts_with(prefix_) || (is_dir && prefix_.starts_with(key));
    if (!prefix_ok) return false;
    if (token_.empty()) return true;
    return key > token_ || (is_dir && token_.starts_with(key));
  }

  Status AddObject(int dir_fd, const std::string& path, const char* name, std::string key) {
    if (!ValidateObjectKey(key).ok()) return Status::OK();
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      // Deleted since the directory was read: not part of the listing.
      if (errno == ENOENT) return Status::OK();
      return ErrnoError("stat", path + "/" + name, errno);
    }
    if (!S_ISREG(st.st_mode)) return Status::OK();
    objects_.push_back(
        ObjectMeta{std::move(key), static_cast<uint64_t>(st.st_size), MtimeMillis(st)});
    return Status::OK();
  }

  const std::string& root_;
  std::string_view prefix_;
  std::string_view token_;
  size_t want_;
  FsListCache* cache_;
  std::vector<ObjectMeta> objects_;
};

}  // namespace

Result<std::shared_ptr<const FsDirSnapshot>> FsListCache::Get(int dir_fd, const std::string& path) {
  // The clock first: a change after this instant gets a later timestamp than `st`.
  struct timespec read_start;
  clock_gettime(CLOCK_REALTIME_COARSE, &read_start);
  struct stat st;
  if (fstat(dir_fd, &st) != 0) return ErrnoError("stat", path, errno);
  Slot key{path,
           static_cast<uint64_t>(st.st_dev),
           static_cast<uint64_t>(st.st_ino),
           static_cast<uint64_t>(st.st_size),
           Nanos(st.st_mtim),
           Nanos(st.st_ctim),
           nullptr};
  auto same = [&](const Slot& s) {
    return s.dev == key.dev && s.ino == key.ino && s.size == key.size &&
           s.mtime_ns == key.mtime_ns && s.ctime_ns == key.ctime_ns;
  };
  {
    std::lock_guard lock(mu_);
    for (auto it = lru_.begin(); it != lru_.end(); ++it) {
      if (it->path != path) continue;
      if (!same(*it)) {
        lru_.erase(it);
        break;
      }
      lru_.splice(lru_.begin(), lru_, it);
      return it->snapshot;
    }
  }
  CAIRN_ASSIGN_OR_RETURN(key.snapshot, ReadDirSnapshot(dir_fd, path));
  if (key.snapshot->entries.size() >= kMinEntries && Settled(st, read_start)) {
    std::lock_guard lock(mu_);
    lru_.remove_if([&](const Slot& s) { return s.path == path; });
    lru_.push_front(key);
    if (lru_.size() > kMaxDirs) lru_.pop_back();
  }
  return key.snapshot;
}

Result<ListPage> ListFsObjects(const std::string& root, std::string_view prefix,
                               std::string_view token, size_t limit, FsListCache* cache) {
  ListPage page;
  // Start in the deepest directory the prefix names; nothing can match an invalid one.
  size_t slash = prefix.rfind('/');
  std::string start;
  if (slash != std::string_view::npos) {
    if (!ValidateObjectKey(prefix.substr(0, slash)).ok()) return page;
    start = std::string(prefix.substr(0, slash + 1));
  }
  // One extra object tells whether the page is the last one.
  FsLister lister(root, prefix, token, limit == SIZE_MAX ? limit : limit + 1, cache);
  CAIRN_RETURN_IF_ERROR(lister.ListDir(start));
  page.objects = std::move(lister.objects());
  if (page.objects.size() > limit) {
    page.objects.pop_back();
    page.next_token = page.objects.back().key;
  }
  return page;
}

}  // namespace cairn
