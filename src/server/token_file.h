// Secret files read by server and client alike: the admin token file
// (--auth-token-file), password files, TLS keys, the server's config file.
#pragma once

#include <string>

#include "common/result.h"

namespace cairn {

// PermissionDenied when `path` is readable or writable by other users or writable by
// its group (a secret there is not secret): the message names `what`, the mode and the
// chmod that fixes it. IOError when it cannot be stat'ed.
Status CheckPrivateFile(const std::string& path, const std::string& what);

// The token: the file's first line with surrounding whitespace trimmed. IOError for an
// unreadable file, InvalidArgument for an empty one, PermissionDenied for one others
// may read (CheckPrivateFile); errors never quote the contents.
Result<std::string> ReadTokenFile(const std::string& path);

// The first line of a password file, without its line ending; same errors.
Result<std::string> ReadPasswordFile(const std::string& path);

}  // namespace cairn
