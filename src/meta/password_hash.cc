#include "meta/password_hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

#include "meta/sha256.h"

namespace cairn {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

std::string ToHex(const uint8_t* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

Result<std::string> Pbkdf2(std::string_view salt, std::string_view password, int iterations) {
  uint8_t out[kHashBytes];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof(out),
                        out) != 1) {
    return Status::IOError("PBKDF2 failed");
  }
  return ToHex(out, sizeof(out));
}

// The scheme of records written before PBKDF2: SHA-256 iterated over salt+password.
std::string LegacyHash(std::string_view salt, std::string_view password, int iterations) {
  std::string input = std::string(salt) + std::string(password);
  Sha256Digest digest = Sha256(input);
  for (int i = 1; i < iterations; ++i) {
    std::string next(reinterpret_cast<const char*>(digest.data()), digest.size());
    next += input;
    digest = Sha256(next);
  }
  return ToHex(digest.data(), digest.size());
}

}  // namespace

Result<PasswordHash> HashPassword(std::string_view password, int iterations) {
  uint8_t salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof(salt)) != 1) return Status::IOError("RAND_bytes failed");
  PasswordHash out{std::string(kPbkdf2Scheme), iterations, ToHex(salt, sizeof(salt)), ""};
  CAIRN_ASSIGN_OR_RETURN(out.hash, Pbkdf2(out.salt, password, iterations));
  return out;
}

Result<bool> VerifyPassword(const PasswordHash& stored, std::string_view password) {
  if (stored.iterations < 1 || stored.iterations > 100'000'000) {
    return Status::InvalidArgument("bad password hash iteration count");
  }
  std::string actual;
  if (stored.scheme == kPbkdf2Scheme) {
    CAIRN_ASSIGN_OR_RETURN(actual, Pbkdf2(stored.salt, password, stored.iterations));
  } else if (stored.scheme == kLegacyScheme || stored.scheme.empty()) {
    actual = LegacyHash(stored.salt, password, stored.iterations);
  } else {
    return Status::InvalidArgument("unknown password hash scheme '" + stored.scheme + "'");
  }
  return ConstantTimeEquals(actual, stored.hash);
}

bool NeedsRehash(const PasswordHash& stored, int iterations) {
  return stored.scheme != kPbkdf2Scheme || stored.iterations < iterations;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned diff = a.size() ^ b.size();
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

}  // namespace cairn
