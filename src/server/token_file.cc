#include "server/token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace cairn {
namespace {

Result<std::string> FirstLine(const std::string& path, const std::string& what) {
  CAIRN_RETURN_IF_ERROR(CheckPrivateFile(path, what));
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + what + " " + path + ": " + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Status CheckPrivateFile(const std::string& path, const std::string& what) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Status::IOError("cannot read " + what + " " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & (S_IRWXO | S_IWGRP)) == 0) return Status::OK();
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return Status::PermissionDenied(what + " " + path + " is accessible by other users (mode " +
                                  mode + "); run: chmod 600 " + path);
}

Result<std::string> ReadTokenFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string line, FirstLine(path, "auth token file"));
  const char* space = " \t\r\n";
  size_t begin = line.find_first_not_of(space);
  if (begin == std::string::npos) {
    return Status::InvalidArgument("auth token file " + path + " is empty");
  }
  return line.substr(begin, line.find_last_not_of(space) - begin + 1);
}

Result<std::string> ReadPasswordFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string line, FirstLine(path, "password file"));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.empty()) return Status::InvalidArgument("password file " + path + " is empty");
  return line;
}

}  // namespace cairn
