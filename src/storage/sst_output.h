// WriteSsts: drains a sorted internal-key stream into SST objects of about
// `target_bytes` each, cutting only between user keys so that all versions of a key
// stay in one SST (point reads in L1 then look at exactly one file).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "object_store/object_store.h"
#include "sst/iterator.h"
#include "sst/table_builder.h"
#include "storage/storage_codec.h"

namespace cairn {

struct SstOutputOptions {
  ObjectStore* objects = nullptr;
  // Hands out a fresh object id and records it as in flight (so vacuum spares it).
  std::function<Result<uint64_t>()> allocate_id;
  uint64_t target_bytes = 32 << 20;
  int level = 0;
  // Called between output files; compaction uses it to yield to foreground work.
  std::function<void()> between_files;
  sst::TableBuilderOptions builder;
};

// `input` must be positioned at its first entry. On error, SSTs finished so far stay in
// the object store as orphans for full vacuum.
Result<std::vector<SstMeta>> WriteSsts(sst::Iterator* input, const SstOutputOptions& options);

}  // namespace cairn
