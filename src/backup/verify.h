// Verification shared by `backup verify` and `restore`: a snapshot file matches its
// manifest entry and parses, and every SST it references exists with its recorded size
// (one listing). `backup verify --deep` also reads every SST and checks its checksums.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "backup/manifest.h"
#include "backup/snapshot_file.h"
#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// One SST a snapshot references: its object id and the file_size its SstMeta records.
struct SnapshotSst {
  uint64_t id = 0;
  uint64_t size = 0;
};

struct VerifiedSnapshot {
  std::vector<SnapshotSst> ssts;                  // the SSTs it references, with their sizes
  std::map<std::string, uint64_t> id_generators;  // ids/<name> values
  uint64_t records = 0;
};

// Streams `entry`'s snapshot file to `fn` and checks it against the entry: NotFound
// naming the file when it is missing; Corruption when damaged, or when id, size,
// checksum or timeline differ; InvalidArgument for another cluster's file. `fn` sees the
// records before the checksum is known (see ReadSnapshot). *records (may be null) gets
// the record count.
Status ReadListedSnapshot(ObjectStore* backups, const SnapshotEntry& entry,
                          const SnapshotRecordFn& fn, uint64_t* records);

// Reads the whole snapshot: checksum, format version, id/size/checksum/cluster id
// against the manifest entry. Corruption when a storage/sst/<id> value does not decode.
Result<VerifiedSnapshot> VerifySnapshot(BackupStorage* backups, const SnapshotEntry& entry);

// One paged listing of data/ (not one request per SST): NotFound naming up
// to 5 missing SSTs; else Corruption naming up to 5 SSTs whose listed size differs from
// `wanted[i].size` ("data/<id>.sst is 1234 bytes, the snapshot records 5678"). Sets
// *max_listed to the largest object id present.
Status VerifySsts(ObjectStore* objects, std::vector<SnapshotSst> wanted, uint64_t* max_listed);

// What VerifySstDeep read.
struct DeepVerifyStats {
  uint64_t bytes_read = 0;  // bytes fetched from the object store
  uint64_t entries = 0;     // entries decoded from data blocks
};

// Reads the SST `key` (expected to be `size` bytes) through sst::TableReader without a
// block cache: footer, filter, properties and index blocks, then every data block, one
// ranged GET per block (memory: the SST's filter and index plus one data block; the
// footer and index are read twice, TableReader keeps its copies private). Checks every
// block checksum, that the blocks and footer cover the whole object with no gap, and
// that the entry count matches the properties. Corruption names the SST (and the block
// offset for a block); NotFound when missing; NotSupported for a newer format. Adds
// the bytes it read and entries it decoded to *stats (may be null).
Status VerifySstDeep(ObjectStore* objects, std::string_view key, uint64_t size,
                     DeepVerifyStats* stats);

// Called after each SST VerifySstsDeep reads: SSTs done, total, bytes read so far. A
// non-OK return (e.g. the caller went away) stops the walk and is returned.
using DeepVerifyProgress = std::function<Status(uint64_t done, uint64_t total, uint64_t bytes)>;

// VerifySstDeep on every SST in `ssts`, one at a time. Keeps going past damaged SSTs and
// returns Corruption naming up to 5 of them ("2 of 12 SSTs are damaged: ..."); any other
// error (unreachable store, missing object) stops at once. `progress` may be null.
Status VerifySstsDeep(ObjectStore* objects, const std::vector<SnapshotSst>& ssts,
                      const DeepVerifyProgress& progress, DeepVerifyStats* stats);

// Parses the 16 hex digits at the start of `text` (the id in "storage/sst/<id>").
bool ParseHexId(std::string_view text, uint64_t* id);

}  // namespace cairn
