// EncryptionKey and EncryptionKeyring: the 256-bit keys that the encrypting object store
// (encrypted_object_store.h) seals objects with. A key is known by its id, derived from
// the key (the first 8 bytes of HMAC-SHA256(key, "cairn-key-id") in hex), which is what
// stored objects and manifests record: the key itself never leaves memory (docs/
// backup-format.md "Encryption").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cairn {

inline constexpr size_t kEncryptionKeySize = 32;    // AES-256
inline constexpr size_t kEncryptionKeyIdSize = 16;  // hex characters

class EncryptionKey {
 public:
  // InvalidArgument unless `bytes` holds exactly kEncryptionKeySize bytes (the message
  // gives only the length, never the bytes).
  static Result<EncryptionKey> FromBytes(std::string_view bytes);

  EncryptionKey(const EncryptionKey&) = default;
  EncryptionKey& operator=(const EncryptionKey&) = default;
  ~EncryptionKey();  // wipes the key bytes

  const std::string& id() const { return id_; }
  const std::string& bytes() const { return bytes_; }

 private:
  EncryptionKey() = default;
  std::string bytes_;
  std::string id_;
};

// The key id of `bytes` (which must be kEncryptionKeySize long).
std::string EncryptionKeyId(std::string_view bytes);

// The keys an encrypting store holds: the first (primary) seals new objects, every key
// opens objects sealed with it. Empty: nothing is sealed and nothing sealed can be read.
class EncryptionKeyring {
 public:
  EncryptionKeyring() = default;
  // Adds `key` unless a key with its id is present (listing a file twice is harmless).
  void Add(EncryptionKey key);

  bool empty() const { return keys_.empty(); }
  // nullptr when empty.
  const EncryptionKey* primary() const { return keys_.empty() ? nullptr : &keys_.front(); }
  // nullptr when no key has `id`.
  const EncryptionKey* Find(std::string_view id) const;
  // The ids, primary first.
  std::vector<std::string> ids() const;

 private:
  std::vector<EncryptionKey> keys_;
};

}  // namespace cairn
