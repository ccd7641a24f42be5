// Backup encryption key files (--backup-encryption-key-file, docs/backup-format.md
// "Encryption"): each holds exactly 32 random bytes (`head -c 32 /dev/urandom > F`) and
// is private to its user, like the token and TLS key files (token_file.h).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "object_store/encryption_key.h"

namespace cairn {

// The key in `path`. IOError when it cannot be read, PermissionDenied when others may
// read it (CheckPrivateFile), InvalidArgument when it does not hold exactly 32 bytes.
// Messages name the file and give lengths, never contents.
Result<EncryptionKey> ReadBackupKeyFile(const std::string& path);

// The keys of `paths`, in order (the first seals new objects).
Result<EncryptionKeyring> ReadBackupKeyFiles(const std::vector<std::string>& paths);

// "a,b, c" -> {"a", "b", "c"}: the comma list of the config key and the server option.
std::vector<std::string> SplitKeyFileList(const std::string& list);
// The inverse, for options that hold the list as one string.
std::string JoinKeyFileList(const std::vector<std::string>& paths);

}  // namespace cairn
