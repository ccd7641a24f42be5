// Password hashing for user records: PBKDF2-HMAC-SHA256 (OpenSSL) with a 16-byte salt
// from the OS CSPRNG (RAND_bytes). Records of the older "sha256-iter" scheme still
// verify, so that Users can upgrade them at the next successful login.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace cairn {

inline constexpr std::string_view kPbkdf2Scheme = "pbkdf2-sha256";
inline constexpr std::string_view kLegacyScheme = "sha256-iter";
// OWASP's 2023 figure for PBKDF2-HMAC-SHA256; about 0.3 s on a small server core.
inline constexpr int kPbkdf2Iterations = 600'000;

struct PasswordHash {
  std::string scheme;  // kPbkdf2Scheme or kLegacyScheme
  int iterations = 0;
  std::string salt;  // hex
  std::string hash;  // hex
};

// A new PBKDF2 hash with a fresh salt. IOError when the CSPRNG or PBKDF2 fails.
Result<PasswordHash> HashPassword(std::string_view password, int iterations);

// True when `password` matches `stored` (compared in constant time). InvalidArgument
// for an unknown scheme or a bad iteration count.
Result<bool> VerifyPassword(const PasswordHash& stored, std::string_view password);

// True when `stored` is weaker than a new hash with `iterations` would be.
bool NeedsRehash(const PasswordHash& stored, int iterations);

// Constant-time equality: the time taken does not depend on where a and b differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cairn
