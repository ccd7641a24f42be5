// Verification shared by `backup verify` and `restore`: a snapshot file matches its
// manifest entry and parses, and every SST it references exists (one listing).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backup/manifest.h"
#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

struct VerifiedSnapshot {
  std::vector<uint64_t> sst_ids;                  // object ids the snapshot references
  std::map<std::string, uint64_t> id_generators;  // ids/<name> values
  uint64_t records = 0;
};

// Reads the whole snapshot: checksum, format version, id/size/checksum/cluster id
// against the manifest entry.
Result<VerifiedSnapshot> VerifySnapshot(BackupStorage* backups, const SnapshotEntry& entry);

// One paged listing of data/: NotFound naming the missing SSTs. Sets *max_listed to the
// largest object id present.
Status VerifySstsExist(ObjectStore* objects, std::vector<uint64_t> wanted, uint64_t* max_listed);

// Parses the 16 hex digits at the start of `text` (the id in "storage/sst/<id>").
bool ParseHexId(std::string_view text, uint64_t* id);

}  // namespace cairn
