#include "server/backup_key_file.h"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "server/token_file.h"

namespace cairn {
namespace {

constexpr const char* kWhat = "backup encryption key file";

}  // namespace

Result<EncryptionKey> ReadBackupKeyFile(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(CheckPrivateFile(path, kWhat));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError(std::string("cannot read ") + kWhat + " " + path + ": " +
                           std::strerror(errno));
  }
  // At most one byte more than a key: enough to tell a longer file, never a big read.
  std::string bytes(kEncryptionKeySize + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return Status::IOError(std::string("cannot read ") + kWhat + " " + path);
  }
  auto key = EncryptionKey::FromBytes(bytes);
  size_t size = bytes.size();
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (!key.ok()) {
    return Status::InvalidArgument(
        std::string(kWhat) + " " + path + " holds " +
        (size > kEncryptionKeySize ? "more than 32" : std::to_string(size)) +
        " bytes; it must hold exactly 32 random bytes (create one with: head -c 32 "
        "/dev/urandom > FILE && chmod 600 FILE)");
  }
  return key;
}

Result<EncryptionKeyring> ReadBackupKeyFiles(const std::vector<std::string>& paths) {
  EncryptionKeyring keys;
  for (const auto& path : paths) {
    CAIRN_ASSIGN_OR_RETURN(EncryptionKey key, ReadBackupKeyFile(path));
    keys.Add(std::move(key));
  }
  return keys;
}

std::vector<std::string> SplitKeyFileList(const std::string& list) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(begin, end - begin);
    size_t first = item.find_first_not_of(" \t");
    if (first != std::string::npos) {
      out.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
    }
    begin = end + 1;
  }
  return out;
}

std::string JoinKeyFileList(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& path : paths) out += (out.empty() ? "" : ",") + path;
  return out;
}

}  // namespace cairn
