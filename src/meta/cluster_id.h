// The cluster id (design.md §1, category 3): a random id written once, at the first
// start, under cluster/id. Backups record it so a restore can tell clusters apart.
#pragma once

#include <string>

#include "common/random.h"
#include "common/result.h"
#include "meta/meta_writer.h"

namespace cairn {

// Returns the stored cluster id, creating it (32 hex digits from `random`) when the
// meta store has none. Safe against a concurrent first start: the loser reads the
// winner's id.
Result<std::string> EnsureClusterId(MetaWriter* writer, Random* random);

// The cluster's timeline (keys::kClusterTimeline; 1 when absent). Corruption for a value
// that is not a positive number.
Result<uint32_t> ReadClusterTimeline(MetaStore* store);

}  // namespace cairn
