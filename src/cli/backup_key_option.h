// --backup-encryption-key-file F (repeatable, or a comma list; env CAIRN_BACKUP_KEY_FILE)
// for every command that opens backup storage (docs/backup-format.md "Encryption").
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace cairn::cli {

inline void AddBackupKeyFileOption(CLI::App* cmd, std::vector<std::string>* files) {
  cmd->add_option("--backup-encryption-key-file", *files,
                  "file of 32 random bytes (head -c 32 /dev/urandom): backups are encrypted "
                  "with the first, and read with any (repeat it, or a comma list, to rotate "
                  "keys)")
      ->delimiter(',')
      ->envname("CAIRN_BACKUP_KEY_FILE");
}

}  // namespace cairn::cli
