// The fs object store: `fs:///abs/dir`, the embedded default (design.md §2).
//
// Layout: key "data/000000001234.sst" is the file <dir>/data/000000001234.sst; key path
// segments are directories. A put writes a hidden temporary file (".tmp-<pid>-<n>") in
// the object's directory, fsyncs it, renames it over the final name and fsyncs the
// directory, so a reader sees the old or the new bytes and a crash leaves either. A
// create-only put (PutIfAbsent, a kCreateOnly writer) publishes with
// renameat2(RENAME_NOREPLACE) instead, or with link() + unlink of the temporary name
// where the filesystem lacks it (EINVAL/ENOSYS): both fail on an existing object, so of
// racing creators exactly one wins. The object's mtime is set from the injected Clock. Listing
// walks the tree in key order and skips temporary files.
//
// Limits of the file mapping: a key and keys below it ("a" and "a/b") cannot coexist
// (InvalidArgument), no key segment may start with ".tmp-", and each segment must fit
// the filesystem's name limit (usually 255 bytes). Temporary files of a crashed process
// stay behind, invisible to List.
#pragma once

#include <memory>

#include "common/result.h"
#include "common/url.h"
#include "object_store/object_store.h"

namespace cairn {

// Opens the store rooted at the URL's absolute path, creating the directory (and its
// parents) when missing. InvalidArgument when the path is not absolute or names a
// non-directory; IOError naming the path when it cannot be created.
Result<std::unique_ptr<ObjectStore>> OpenFsObjectStore(const Url& url,
                                                       const ObjectStoreOptions& options);

}  // namespace cairn
