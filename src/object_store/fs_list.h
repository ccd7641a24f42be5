// Listing for the fs object store: walks the directory tree under the root in ascending
// key order, without sorting whole directories, and pages by "keys > token".
// A page reads every directory on its path in full (a heap then yields entries in order),
// so paging through a directory of n entries costs O(n) per page: fine for the
// thousands-to-100k objects of a data directory, slow for millions in one directory.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// One page of at most `limit` objects under `root` whose key starts with `prefix` and
// is greater than `token` (when not empty). next_token is the last key of a full page
// when more objects follow. Temporary files, symlinks, and names that are not valid
// keys are skipped.
Result<ListPage> ListFsObjects(const std::string& root, std::string_view prefix,
                               std::string_view token, size_t limit);

}  // namespace cairn
