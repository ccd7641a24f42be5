#include "object_store/fs_list.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <vector>

#include "object_store/fs_file.h"

namespace cairn {
namespace {

// A directory entry as the key it holds: a file's key, or a directory's key prefix
// with a trailing '/'. Ordering entries this way orders the keys below them too,
// because '/' can only appear where the prefix ends.
struct Entry {
  std::string key;
  bool is_dir;
};

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

int64_t MtimeMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

class FsLister {
 public:
  FsLister(const std::string& root, std::string_view prefix, std::string_view token, size_t want)
      : root_(root), prefix_(prefix), token_(token), want_(want) {}

  // Appends the wanted objects of directory `rel` ("" for the root, else "a/b/").
  Status ListDir(const std::string& rel) {
    std::string path = rel.empty() ? root_ : root_ + "/" + rel.substr(0, rel.size() - 1);
    std::unique_ptr<DIR, DirCloser> dir(opendir(path.c_str()));
    if (!dir) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
      return ErrnoError("list directory", path, errno);
    }
    std::vector<Entry> entries;
    CAIRN_RETURN_IF_ERROR(ReadEntries(dir.get(), rel, path, &entries));
    // A min-heap yields entries in key order while costing O(n) instead of a full sort;
    // a page usually needs only the first few of a large directory.
    auto greater = [](const Entry& a, const Entry& b) { return a.key > b.key; };
    std::make_heap(entries.begin(), entries.end(), greater);
    while (!entries.empty() && objects_.size() < want_) {
      std::pop_heap(entries.begin(), entries.end(), greater);
      Entry entry = std::move(entries.back());
      entries.pop_back();
      if (entry.is_dir) {
        std::string_view as_key(entry.key.data(), entry.key.size() - 1);
        if (ValidateObjectKey(as_key).ok()) CAIRN_RETURN_IF_ERROR(ListDir(entry.key));
      } else {
        CAIRN_RETURN_IF_ERROR(AddObject(dirfd(dir.get()), rel, path, std::move(entry.key)));
      }
    }
    return Status::OK();
  }

  std::vector<ObjectMeta>& objects() { return objects_; }

 private:
  Status ReadEntries(DIR* dir, const std::string& rel, const std::string& path,
                     std::vector<Entry>* entries) {
    errno = 0;
    while (dirent* ent = readdir(dir)) {
      std::string_view name = ent->d_name;
      if (name == "." || name == ".." || name.starts_with(kFsTempPrefix)) continue;
      unsigned char type = ent->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dirfd(dir), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type != DT_DIR && type != DT_REG) continue;
      Entry entry{rel + std::string(name), type == DT_DIR};
      if (entry.is_dir) entry.key.push_back('/');
      if (Wanted(entry)) entries->push_back(std::move(entry));
      errno = 0;
    }
    return errno == 0 ? Status::OK() : ErrnoError("read directory", path, errno);
  }

  // Whether the entry's key (or, for a directory, some key below it) can be in the page.
  bool Wanted(const Entry& entry) const {
    std::string_view key = entry.key;
    bool prefix_ok = key.starts_with(prefix_) || (entry.is_dir && prefix_.starts_with(key));
    if (!prefix_ok) return false;
    if (token_.empty()) return true;
    return key > token_ || (entry.is_dir && token_.starts_with(key));
  }

  Status AddObject(int dir_fd, const std::string& rel, const std::string& path, std::string key) {
    if (!ValidateObjectKey(key).ok()) return Status::OK();
    struct stat st;
    const char* name = key.c_str() + rel.size();
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      // Deleted since readdir: not part of the listing.
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
  std::vector<ObjectMeta> objects_;
};

}  // namespace

Result<ListPage> ListFsObjects(const std::string& root, std::string_view prefix,
                               std::string_view token, size_t limit) {
  ListPage page;
  // Start in the deepest directory the prefix names; nothing can match an invalid one.
  size_t slash = prefix.rfind('/');
  std::string start;
  if (slash != std::string_view::npos) {
    if (!ValidateObjectKey(prefix.substr(0, slash)).ok()) return page;
    start = std::string(prefix.substr(0, slash + 1));
  }
  // One extra object tells whether the page is the last one.
  FsLister lister(root, prefix, token, limit == SIZE_MAX ? limit : limit + 1);
  CAIRN_RETURN_IF_ERROR(lister.ListDir(start));
  page.objects = std::move(lister.objects());
  if (page.objects.size() > limit) {
    page.objects.pop_back();
    page.next_token = page.objects.back().key;
  }
  return page;
}

}  // namespace cairn
