#include "server/backup_storage_open.h"

#include "backup/backup_encryption.h"
#include "server/backup_key_file.h"

namespace cairn {

Result<std::unique_ptr<EncryptedObjectStore>> OpenBackupStorage(
    const std::string& url, const std::vector<std::string>& key_files) {
  CAIRN_ASSIGN_OR_RETURN(EncryptionKeyring keys, ReadBackupKeyFiles(key_files));
  auto store = OpenObjectStore(url);
  if (!store.ok()) return store.status().WithContext("cannot open backup storage");
  return EncryptBackupStorage(std::move(store).value(), std::move(keys));
}

}  // namespace cairn
