#include "storage/frozen_version.h"

#include "sst/internal_key.h"
#include "storage/merging_iterator.h"
#include "storage/scan_iterator.h"

namespace cairn {
namespace {

// Whether the SST may hold user parts in [begin, end).
bool Overlaps(const SstMeta& f, std::string_view begin, std::string_view end) {
  return sst::UserPart(f.largest_key) >= begin && sst::UserPart(f.smallest_key) < end;
}

}  // namespace

std::shared_ptr<FrozenVersion> FrozenVersion::Make(ObjectStore* objects, sst::BlockCache* cache,
                                                   std::shared_ptr<const Version> version,
                                                   Catalog catalog, uint64_t read_epoch) {
  return std::shared_ptr<FrozenVersion>(
      new FrozenVersion(objects, cache, std::move(version), std::move(catalog), read_epoch));
}

FrozenVersion::FrozenVersion(ObjectStore* objects, sst::BlockCache* cache,
                             std::shared_ptr<const Version> version, Catalog catalog,
                             uint64_t read_epoch)
    : objects_(objects),
      cache_(cache),
      version_(std::move(version)),
      catalog_(std::move(catalog)),
      read_epoch_(read_epoch) {}

Result<TableInfo> FrozenVersion::FindTable(std::string_view name) const {
  const TableInfo* t = catalog_.FindAt(name, read_epoch_);
  if (!t) return Status::NotFound("table '" + std::string(name) + "'");
  return *t;
}

Result<std::shared_ptr<sst::TableReader>> FrozenVersion::Reader(const SstMeta& meta) {
  {
    std::lock_guard lock(readers_mu_);
    auto it = readers_.find(meta.object_id);
    if (it != readers_.end()) return it->second;
  }
  CAIRN_ASSIGN_OR_RETURN(auto reader, sst::TableReader::Open(objects_, SstObjectKey(meta.object_id),
                                                             meta.object_id, cache_));
  std::lock_guard lock(readers_mu_);
  return readers_.emplace(meta.object_id, std::move(reader)).first->second;
}

// A point read is a scan of [key, key + "\0"): one SST per sorted level and the L0 SSTs
// whose range holds the key; the scan iterator resolves versions and tombstones.
Result<std::optional<std::string>> FrozenVersion::Get(uint32_t table_id, std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxUserKeySize) return Status::InvalidArgument("key exceeds the size limit");
  std::string next(key);
  next.push_back('\0');
  CAIRN_ASSIGN_OR_RETURN(auto it, Scan(table_id, key, next));
  if (it->Valid()) return std::optional<std::string>(std::string(it->value()));
  CAIRN_RETURN_IF_ERROR(it->status());
  return std::optional<std::string>();
}

Result<std::unique_ptr<ScanIterator>> FrozenVersion::Scan(uint32_t table_id, std::string_view from,
                                                          std::string_view to) {
  if (from.size() > kMaxUserKeySize || to.size() > kMaxUserKeySize + 1) {
    return Status::InvalidArgument("scan bound exceeds the key size limit");
  }
  std::string begin = sst::MakeUserPart(table_id, from);
  std::string end =
      to.empty() ? sst::MakeUserPart(table_id + 1, "") : sst::MakeUserPart(table_id, to);
  std::vector<std::unique_ptr<sst::Iterator>> children;
  for (int level = 0; level < kMaxLevels; ++level) {
    for (const SstRef& f : version_->level(level)) {
      if (f->min_epoch > read_epoch_ || !Overlaps(*f, begin, end)) continue;
      CAIRN_ASSIGN_OR_RETURN(auto reader, Reader(*f));
      children.push_back(reader->NewIterator());
    }
  }
  // The iterator holds the version through an alias of this object, so that the
  // readers (and the FrozenVersion) outlive it.
  std::shared_ptr<const Version> held(shared_from_this(), version_.get());
  return NewUserScanIterator(NewMergingIterator(std::move(children)), std::move(held), table_id,
                             std::string(from), std::string(to), read_epoch_);
}

}  // namespace cairn
