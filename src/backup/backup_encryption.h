// Encryption of backup storage (docs/backup-format.md "Encryption"): which objects are
// sealed, the wrapper that seals them, and the checks that a server or a restore holds
// the keys the backups need before anything is written.
#pragma once

#include <memory>
#include <string_view>

#include "backup/manifest.h"
#include "object_store/encrypted_object_store.h"

namespace cairn {

// The hint that errors about a missing key end with.
inline constexpr std::string_view kMissingBackupKeyHint =
    "; pass its key file with --backup-encryption-key-file";

// The objects that hold cluster data and are encrypted: snapshots/, changelog/ and sst/
// (copied SSTs). The manifest, storage.json and timelines/ stay plaintext (ids, sizes,
// checksums, key ids; no table keys or values).
bool IsEncryptedBackupObject(std::string_view key);

// `base` wrapped so that its data objects are sealed with keys.primary() and opened
// with any key in `keys`. With an empty keyring nothing is sealed and an encrypted
// object is refused naming its key id (never read as garbage). `random` (nullptr =
// OpenSSL's) draws the per-object salts.
std::unique_ptr<EncryptedObjectStore> EncryptBackupStorage(std::unique_ptr<ObjectStore> base,
                                                           EncryptionKeyring keys,
                                                           RandomBytesFn random = nullptr);

// FailedPrecondition "backup N is encrypted with key <id>; pass its key file with
// --backup-encryption-key-file" when `entry` is encrypted with a key not in `keys`.
Status CheckBackupKey(const SnapshotEntry& entry, const EncryptionKeyring& keys);

// Before a server writes to the storage whose manifest is `manifest`: CheckBackupKey of
// the newest backup. So a server without a key never adds plaintext backups after
// encrypted ones, and one whose keys cannot read the newest backup (a rotation that
// forgot the old key) does not start. No backups, or a plaintext newest one
// (encryption being turned on), pass.
Status CheckBackupKeys(const Manifest& manifest, const EncryptionKeyring& keys);

}  // namespace cairn
