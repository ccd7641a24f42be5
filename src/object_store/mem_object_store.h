// The mem object store: `mem://name`, for unit tests. A thread-safe ordered map; each
// object's mtime comes from the injected Clock.
//
// Stores are shared by name within the process: opening mem://x twice (or again after
// the first store was destroyed) gives the same objects, so "reopen after close" tests
// work as with fs://. The data lives until DropMemObjectStore(name) or process exit.
#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"
#include "common/url.h"
#include "object_store/object_store.h"

namespace cairn {

// InvalidArgument when the URL has no name ("mem://").
Result<std::unique_ptr<ObjectStore>> OpenMemObjectStore(const Url& url,
                                                        const ObjectStoreOptions& options);

// Forgets every object of mem://name (stores already open keep the old objects
// alive but no longer share them with later opens). Lets tests release memory.
void DropMemObjectStore(std::string_view name);

}  // namespace cairn
