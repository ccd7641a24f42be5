#include "server/token_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace cairn {

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::IOError("cannot read auth token file " + path + ": " + std::strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  const char* space = " \t\r\n";
  size_t begin = line.find_first_not_of(space);
  if (begin == std::string::npos) {
    return Status::InvalidArgument("auth token file " + path + " is empty");
  }
  return line.substr(begin, line.find_last_not_of(space) - begin + 1);
}

}  // namespace cairn
