#include "backup/backup_encryption.h"

#include <array>

namespace cairn {

bool IsEncryptedBackupObject(std::string_view key) {
  static constexpr std::array<std::string_view, 3> kPrefixes = {"snapshots/", "changelog/", "sst/"};
  for (auto prefix : kPrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

std::unique_ptr<EncryptedObjectStore> EncryptBackupStorage(std::unique_ptr<ObjectStore> base,
                                                           EncryptionKeyring keys,
                                                           RandomBytesFn random) {
  EncryptionOptions options;
  options.keys = std::move(keys);
  options.encrypts = IsEncryptedBackupObject;
  options.missing_key_hint = std::string(kMissingBackupKeyHint);
  options.random = std::move(random);
  return std::make_unique<EncryptedObjectStore>(std::move(base), std::move(options));
}

Status CheckBackupKey(const SnapshotEntry& entry, const EncryptionKeyring& keys) {
  if (entry.key_id.empty() || keys.Find(entry.key_id) != nullptr) return Status::OK();
  return Status::FailedPrecondition("backup " + std::to_string(entry.id) +
                                    " is encrypted with key " + entry.key_id +
                                    std::string(kMissingBackupKeyHint));
}

Status CheckBackupKeys(const Manifest& manifest, const EncryptionKeyring& keys) {
  if (manifest.snapshots.empty()) return Status::OK();
  return CheckBackupKey(manifest.snapshots.back(), keys);  // ascending id: the newest
}

}  // namespace cairn
