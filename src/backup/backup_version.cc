#include "backup/backup_version.h"

#include <algorithm>

#include "backup/verify.h"
#include "meta/keys.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

struct Decoded {
  VersionHeader header;
  std::vector<SstMeta> ssts;
  Catalog catalog;

  Status Observe(std::string_view key, std::string_view value) {
    if (key == keys::kStorageVersion) {
      CAIRN_ASSIGN_OR_RETURN(header, DecodeVersionHeader(value));
    } else if (key.starts_with(keys::kStorageSstPrefix)) {
      CAIRN_ASSIGN_OR_RETURN(SstMeta sst, DecodeSstMeta(value));
      ssts.push_back(std::move(sst));
    } else if (key.starts_with(keys::kCatalogTablePrefix)) {
      CAIRN_ASSIGN_OR_RETURN(TableInfo table, DecodeTableRecord(value));
      catalog.Upsert(table);
    }
    return Status::OK();
  }
};

}  // namespace

Result<BackupVersion> ReadBackupVersion(ObjectStore* backups, const SnapshotEntry& entry) {
  Decoded decoded;
  const std::string what = "snapshot " + entry.file;
  CAIRN_RETURN_IF_ERROR(ReadListedSnapshot(
      backups, entry,
      [&](std::string_view key, std::string_view value) {
        Status s = decoded.Observe(key, value);
        return s.ok() ? s : s.WithContext(what + ", key " + std::string(key));
      },
      nullptr));
  BackupVersion out;
  auto version = Version::Make(decoded.header.version_id, std::move(decoded.ssts));
  if (!version.ok()) return version.status().WithContext(what);
  out.version = std::move(version).value();
  out.cut_epoch = std::max(decoded.header.max_committed_epoch, decoded.catalog.MaxEpoch());
  out.catalog = std::move(decoded.catalog);
  return out;
}

}  // namespace cairn
