#include "storage/meta_loader.h"

#include <algorithm>
#include <functional>

#include "meta/keys.h"

namespace cairn {
namespace {

constexpr size_t kPage = 1000;

Status ForEachWithPrefix(MetaSnapshot* snap, std::string_view prefix,
                         const std::function<Status(const KeyValue&)>& fn) {
  std::string begin(prefix);
  std::string end = PrefixEnd(prefix);
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(auto page, snap->Range(begin, end, kPage));
    for (const auto& kv : page) CAIRN_RETURN_IF_ERROR(fn(kv));
    if (page.size() < kPage) return Status::OK();
    begin = page.back().key + std::string(1, '\0');
  }
}

Status WithKey(Status s, std::string_view key) {
  return s.ok() ? s : s.WithContext("meta key " + std::string(key));
}

Result<Catalog> LoadCatalogFrom(MetaSnapshot* snap) {
  Catalog catalog;
  CAIRN_ASSIGN_OR_RETURN(auto catalog_version, snap->Get(keys::kCatalogVersion));
  if (catalog_version) {
    CAIRN_ASSIGN_OR_RETURN(catalog.version,
                           DecodeDecimal(keys::kCatalogVersion, catalog_version->value));
    catalog.version_revision = catalog_version->mod_revision;
  }
  CAIRN_RETURN_IF_ERROR(ForEachWithPrefix(snap, keys::kCatalogTablePrefix, [&](const KeyValue& kv) {
    auto table = DecodeTableRecord(kv.value);
    if (!table.ok()) return WithKey(table.status(), kv.key);
    catalog.Upsert(*table);
    return Status::OK();
  }));
  return catalog;
}

// The object id a storage/sst/ or storage/stale/ key names.
Status ParseIdKey(const std::string& key, std::string_view prefix, uint64_t* object_id) {
  std::string_view hex = std::string_view(key).substr(prefix.size());
  if (!ParseSstObjectKey("data/" + std::string(hex) + ".sst", object_id)) {
    return Status::Corruption("meta key " + key + " does not name an object id");
  }
  return Status::OK();
}

}  // namespace

Result<StorageState> LoadStorageState(MetaStore* store) {
  StorageState state;
  CAIRN_ASSIGN_OR_RETURN(auto snap, store->Snapshot());
  CAIRN_ASSIGN_OR_RETURN(auto header, snap->Get(keys::kStorageVersion));
  if (header) {
    auto decoded = DecodeVersionHeader(header->value);
    if (!decoded.ok()) return WithKey(decoded.status(), keys::kStorageVersion);
    state.header = *decoded;
    state.header_revision = header->mod_revision;
  }
  CAIRN_RETURN_IF_ERROR(
      ForEachWithPrefix(snap.get(), keys::kStorageSstPrefix, [&](const KeyValue& kv) {
        auto meta = DecodeSstMeta(kv.value);
        if (!meta.ok()) return WithKey(meta.status(), kv.key);
        state.ssts.push_back(std::make_shared<const SstMeta>(std::move(meta).value()));
        return Status::OK();
      }));
  CAIRN_RETURN_IF_ERROR(
      ForEachWithPrefix(snap.get(), keys::kStorageStalePrefix, [&](const KeyValue& kv) {
        uint64_t object_id = 0;
        auto epoch = DecodeDecimal(kv.key, kv.value);
        if (!epoch.ok()) return epoch.status();
        CAIRN_RETURN_IF_ERROR(ParseIdKey(kv.key, keys::kStorageStalePrefix, &object_id));
        state.stale[object_id] = *epoch;
        return Status::OK();
      }));
  CAIRN_ASSIGN_OR_RETURN(state.catalog, LoadCatalogFrom(snap.get()));
  return state;
}

Result<Catalog> LoadCatalog(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto snap, store->Snapshot());
  return LoadCatalogFrom(snap.get());
}

Result<std::vector<uint64_t>> LoadReferencedIds(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto snap, store->Snapshot());
  std::vector<uint64_t> ids;
  for (std::string_view prefix : {keys::kStorageSstPrefix, keys::kStorageStalePrefix}) {
    CAIRN_RETURN_IF_ERROR(ForEachWithPrefix(snap.get(), prefix, [&](const KeyValue& kv) {
      uint64_t id = 0;
      CAIRN_RETURN_IF_ERROR(ParseIdKey(kv.key, prefix, &id));
      ids.push_back(id);
      return Status::OK();
    }));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace cairn
