// LevelIterator: one sorted level (L1..L6: non-overlapping SSTs in key order, no user
// key split between two) as one internal-key stream, opening each SST only when the
// stream reaches it. A scan then merges one child per level plus one per L0 SST, not
// one per SST, and opens only the SSTs it actually reads.
#pragma once

#include <functional>
#include <memory>

#include "common/result.h"
#include "sst/iterator.h"
#include "storage/version.h"

namespace cairn {

using OpenSst = std::function<Result<std::unique_ptr<sst::Iterator>>(const SstMeta&)>;

// Files [first, last) of `version`'s level `level` (held: the files stay referenced);
// `skip(file)` true = the SST contributes nothing (e.g. wholly newer than the read).
std::unique_ptr<sst::Iterator> NewLevelIterator(std::shared_ptr<const Version> version, int level,
                                                size_t first, size_t last, OpenSst open,
                                                std::function<bool(const SstMeta&)> skip);

}  // namespace cairn
