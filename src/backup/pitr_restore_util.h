// Pieces shared by snapshot restore and point-in-time restore (design.md §6): the
// empty-target check, id generators bumped above everything ever issued, and the
// batched write that leaves the target empty when it fails.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "backup/manifest.h"
#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

// Puts in transactions of bounded size (a restore of any size never builds one huge txn).
class RestoreBatchWriter {
 public:
  explicit RestoreBatchWriter(MetaStore* target) : target_(target) {}
  Status Put(std::string key, std::string value);
  Status Flush();
  uint64_t commits() const { return commits_; }

 private:
  MetaStore* target_;
  Txn txn_;
  size_t bytes_ = 0;
  uint64_t commits_ = 0;
};

// True when `target` holds no key; AlreadyExists (naming a key) when it is not empty
// and `overwrite` is false.
Result<bool> CheckRestoreTarget(MetaStore* target, bool overwrite);

// Raises `ids` (generator -> next id) above every snapshot in the manifest, every
// object listed in the object store, and every backup id.
void BumpIdGenerators(const Manifest& manifest, uint64_t max_listed_object,
                      std::map<std::string, uint64_t>* ids);

// Clears a non-empty target, then calls `fill` with a batch writer and flushes it; on
// any failure the target is cleared again, so it is never left half restored.
Status WriteRestoreTarget(MetaStore* target, bool target_was_empty,
                          const std::function<Status(RestoreBatchWriter*)>& fill);

// Puts the bumped id generators and one pin per manifest snapshot (as snapshot restore).
Status PutIdsAndPins(const Manifest& manifest, const std::map<std::string, uint64_t>& ids,
                     RestoreBatchWriter* batch);

}  // namespace cairn
