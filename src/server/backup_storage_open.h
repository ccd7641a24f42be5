// OpenBackupStorage: how every command that reads or writes backup storage opens it
// (`cairn server`, `cairn restore`, other offline commands): through the encrypting
// wrapper (backup/backup_encryption.h) with the keys of --backup-encryption-key-file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "object_store/encrypted_object_store.h"

namespace cairn {

// Reads and checks the key files first (ReadBackupKeyFiles: a bad one is refused before
// the storage is touched), then opens `url` wrapped: data objects are sealed with the
// first key and opened with any; without key files they are written in plaintext and
// encrypted ones are refused naming their key. A store that cannot be opened is the
// store's error with "cannot open backup storage" before it.
Result<std::unique_ptr<EncryptedObjectStore>> OpenBackupStorage(
    const std::string& url, const std::vector<std::string>& key_files);

}  // namespace cairn
