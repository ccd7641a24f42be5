// FrozenVersion: reads of a version that no engine owns and nothing changes — a backup's
// (docs/pitr.md, "Reads served from backups"): its SSTs and its catalog, read at one
// epoch. Immutable after Make and thread-safe. It opens each SST once, on first use, and
// keeps the readers for its lifetime; an iterator keeps the FrozenVersion alive. Nothing
// here protects the SSTs from vacuum: the caller must (a backup's pin does).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "object_store/object_store.h"
#include "sst/block_cache.h"
#include "sst/table_reader.h"
#include "storage/catalog.h"
#include "storage/cluster.h"
#include "storage/version.h"

namespace cairn {

class FrozenVersion : public std::enable_shared_from_this<FrozenVersion> {
 public:
  // `objects` (the SSTs' store) and `cache` (may be null) must outlive the result.
  static std::shared_ptr<FrozenVersion> Make(ObjectStore* objects, sst::BlockCache* cache,
                                             std::shared_ptr<const Version> version,
                                             Catalog catalog, uint64_t read_epoch);

  uint64_t read_epoch() const { return read_epoch_; }
  const Version& version() const { return *version_; }
  // The tables that existed at the read epoch.
  std::vector<TableInfo> Tables() const { return catalog_.ExistingAt(read_epoch_); }
  // The table with this name that existed at the read epoch; NotFound naming it.
  Result<TableInfo> FindTable(std::string_view name) const;

  // The newest value of `key` at the read epoch (nullopt: absent or deleted).
  // InvalidArgument for an empty or oversized key.
  Result<std::optional<std::string>> Get(uint32_t table_id, std::string_view key);
  // Keys in [from, to) ("" = unbounded) at the read epoch, as Cluster::Scan.
  Result<std::unique_ptr<ScanIterator>> Scan(uint32_t table_id, std::string_view from,
                                             std::string_view to);

 private:
  FrozenVersion(ObjectStore* objects, sst::BlockCache* cache,
                std::shared_ptr<const Version> version, Catalog catalog, uint64_t read_epoch);
  Result<std::shared_ptr<sst::TableReader>> Reader(const SstMeta& meta);

  ObjectStore* const objects_;
  sst::BlockCache* const cache_;
  const std::shared_ptr<const Version> version_;
  const Catalog catalog_;
  const uint64_t read_epoch_;
  std::mutex readers_mu_;
  std::map<uint64_t, std::shared_ptr<sst::TableReader>> readers_;  // by object id
};

}  // namespace cairn
