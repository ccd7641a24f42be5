// Listing for the fs object store: walks the directory tree under the root in ascending
// key order and pages by "keys > token".
//
// Paging through a directory of n entries must not cost O(n) per page (restore and full
// vacuum page through data/ with 100k+ objects), so each directory is read once into a
// sorted snapshot that later pages binary-search. Snapshots of large directories are
// kept in a small LRU (FsListCache) and reused while the directory is unchanged: same
// inode, mtime, ctime and size. An mtime only proves "unchanged" if a later change
// cannot get the same timestamp, so a snapshot is reused only when it was read after the
// directory's mtime tick had passed (the "racy git" rule; see fs_list.cc). This is the
// same trust the Linux NFS client puts in directory mtimes for its readdir cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// The listable entries of one directory, sorted by name; a directory's name carries a
// trailing '/', so this is also the order of the keys below the entries. The names are
// NUL-terminated in one buffer (no allocation per entry: data/ holds 1M+ SSTs).
struct FsDirSnapshot {
  struct Entry {
    size_t offset;  // of the name in `names`
    uint32_t size;  // of the name, without the NUL
    bool is_dir;
  };
  std::string names;
  std::vector<Entry> entries;

  std::string_view name(const Entry& e) const { return {names.data() + e.offset, e.size}; }
  const char* c_name(const Entry& e) const { return names.data() + e.offset; }
};

// Sorted snapshots of recently listed large directories, keyed by path and validated
// against the directory's current stat. Thread-safe.
class FsListCache {
 public:
  // Directories with fewer entries are cheap to re-read and are not cached.
  static constexpr size_t kMinEntries = 1024;
  static constexpr size_t kMaxDirs = 8;

  // A fresh snapshot of the directory open at `dir_fd` (path for errors and the key).
  Result<std::shared_ptr<const FsDirSnapshot>> Get(int dir_fd, const std::string& path);

 private:
  struct Slot {
    std::string path;
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    std::shared_ptr<const FsDirSnapshot> snapshot;
  };
  std::mutex mu_;
  std::list<Slot> lru_;  // most recently used first
};

// One page of at most `limit` objects under `root` whose key starts with `prefix` and
// is greater than `token` (when not empty). next_token is the last key of a full page
// when more objects follow. Temporary files, symlinks, and names that are not valid
// keys are skipped.
Result<ListPage> ListFsObjects(const std::string& root, std::string_view prefix,
                               std::string_view token, size_t limit, FsListCache* cache);

}  // namespace cairn
