#include "backup/verify.h"

#include <algorithm>
#include <charconv>

#include "backup/snapshot_file.h"
#include "meta/keys.h"
#include "storage/storage_codec.h"

namespace cairn {

// "00000000000004d2..." -> 0x4d2 (the id in a storage/sst/<id> meta key).
bool ParseHexId(std::string_view text, uint64_t* id) {
  if (text.size() < 16) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + 16, *id, 16);
  return ec == std::errc() && end == text.data() + 16;
}

// Pass 1: checksum, format, identity, and the SSTs and id generators it holds.
Result<VerifiedSnapshot> VerifySnapshot(BackupStorage* backups, const SnapshotEntry& entry) {
  VerifiedSnapshot out;
  SnapshotHeader header;
  SnapshotFileInfo info;
  Status status =
      ReadSnapshot(backups->store(), entry.file, &header, &info,
                   [&](std::string_view key, std::string_view value) {
                     uint64_t id = 0;
                     if (key.starts_with(keys::kStorageSstPrefix) &&
                         ParseHexId(key.substr(keys::kStorageSstPrefix.size()), &id)) {
                       out.sst_ids.push_back(id);
                     } else if (key.starts_with(keys::kIdPrefix)) {
                       uint64_t v = 0;
                       std::from_chars(value.data(), value.data() + value.size(), v);
                       out.id_generators[std::string(key.substr(keys::kIdPrefix.size()))] = v;
                     }
                     return Status::OK();
                   });
  if (status.IsNotFound()) {
    return Status::NotFound("manifest.json lists snapshot " + std::to_string(entry.id) +
                            " but its file " + entry.file + " is missing from " +
                            backups->store()->DescribeForLog());
  }
  CAIRN_RETURN_IF_ERROR(status);
  if (header.snapshot_id != entry.id || info.checksum != entry.checksum ||
      info.file_size != entry.file_size) {
    return Status::Corruption("snapshot file " + entry.file +
                              " does not match its manifest entry (id, size or checksum differ)");
  }
  if (header.cluster_id != entry.cluster_id) {
    return Status::InvalidArgument("snapshot " + entry.file + " belongs to cluster " +
                                   header.cluster_id + " but the manifest says " +
                                   entry.cluster_id);
  }
  out.records = info.record_count;
  return out;
}

// One listing of data/ (not one request per SST): every referenced SST must exist.
Status VerifySstsExist(ObjectStore* objects, std::vector<uint64_t> wanted, uint64_t* max_listed) {
  std::vector<uint64_t> present;
  CAIRN_RETURN_IF_ERROR(ListAll(*objects, kSstObjectPrefix, [&](const ObjectMeta& meta) {
    uint64_t id = 0;
    if (ParseSstObjectKey(meta.key, &id)) {
      present.push_back(id);
      *max_listed = std::max(*max_listed, id);
    }
    return Status::OK();
  }));
  std::sort(present.begin(), present.end());
  std::sort(wanted.begin(), wanted.end());
  std::vector<uint64_t> missing;
  std::set_difference(wanted.begin(), wanted.end(), present.begin(), present.end(),
                      std::back_inserter(missing));
  if (missing.empty()) return Status::OK();
  std::string names;
  for (size_t i = 0; i < missing.size() && i < 5; ++i) {
    names += (i ? ", " : "") + SstObjectKey(missing[i]);
  }
  return Status::NotFound("snapshot references " + std::to_string(missing.size()) +
                          " SST(s) missing from object store " + objects->DescribeForLog() + ": " +
                          names + (missing.size() > 5 ? ", ..." : ""));
}

}  // namespace cairn
