// The admin token file (--auth-token-file), read the same way by server and client.
#pragma once

#include <string>

#include "common/result.h"

namespace cairn {

// The token: the file's first line with surrounding whitespace trimmed. IOError for an
// unreadable file, InvalidArgument for an empty one; errors never quote the contents.
Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace cairn
