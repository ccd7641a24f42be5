// A meta store that is created only on its first write: until then, a store that does
// not exist yet (a missing sqlite file, PostgreSQL without cairn's tables) reads as
// empty. `cairn restore` opens its target this way, so that a refused restore or a dry
// run creates nothing (not even a file).
#pragma once

#include <memory>
#include <string>

#include "meta_store/meta_store.h"

namespace cairn {

// Opens `url` if the store exists; otherwise returns a store that reads as empty and
// creates it (OpenMetaStore with create_if_missing) at the first Commit with ops. Other
// errors (bad URL, unreachable server) are returned at once.
Result<std::unique_ptr<MetaStore>> OpenMetaStoreLazily(std::string_view url,
                                                       const MetaStoreOptions& options = {});

}  // namespace cairn
