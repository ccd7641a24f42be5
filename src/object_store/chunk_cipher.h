// The chunked AES-256-GCM format of encrypted objects (docs/backup-format.md
// "Encryption"):
//
//   header, 48 bytes   "CAIRNENC", u32 format_version (1), u32 chunk_size (plaintext
//                      bytes per chunk), key id (16 hex characters), salt (16 random
//                      bytes), little-endian
//   chunks             chunk i = AES-256-GCM ciphertext of plaintext bytes
//                      [i*chunk_size, (i+1)*chunk_size) + its 16-byte tag; every chunk
//                      is whole but the last (the final chunk: 1..chunk_size bytes, or
//                      0 for an empty object, which is one empty final chunk)
//
// Each object has its own key, HMAC-SHA256(master key, "cairn-object-key" || salt), so
// nonces never repeat across objects; chunk i's nonce is 4 zero bytes + i (u64 big
// endian). The associated data of chunk i is header || u64 i || u8 final: a chunk
// moved to another position or object, a header changed, a dropped tail (the new last
// chunk was not sealed final) or an appended chunk fail authentication.
//
// A range of plaintext maps to a range of whole chunks (ChunkOffset), so an object can
// be written streaming and read by range, one chunk at a time.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "object_store/encryption_key.h"

namespace cairn {

inline constexpr std::string_view kEncryptionMagic = "CAIRNENC";
inline constexpr uint32_t kEncryptionFormatVersion = 1;
inline constexpr size_t kEncryptionHeaderSize = 8 + 4 + 4 + kEncryptionKeyIdSize + 16;
inline constexpr size_t kEncryptionSaltSize = 16;
inline constexpr size_t kChunkTagSize = 16;
inline constexpr uint32_t kDefaultEncryptionChunkSize = 64 << 10;
inline constexpr uint32_t kMaxEncryptionChunkSize = 16 << 20;

struct EncryptionHeader {
  uint32_t format_version = kEncryptionFormatVersion;
  uint32_t chunk_size = kDefaultEncryptionChunkSize;
  std::string key_id;  // kEncryptionKeyIdSize hex characters
  std::string salt;    // kEncryptionSaltSize bytes
};

std::string EncodeEncryptionHeader(const EncryptionHeader& header);
// Whether `bytes` (an object's first bytes) begins with the magic.
bool HasEncryptionMagic(std::string_view bytes);
// Corruption for a short or malformed header, NotSupported for a newer format version;
// messages name `name`.
Result<EncryptionHeader> DecodeEncryptionHeader(std::string_view bytes, std::string_view name);

// Stored size of an object of `plain_size` bytes.
uint64_t SealedSize(uint64_t plain_size, uint32_t chunk_size);
// Plaintext size of an object stored in `sealed_size` bytes; Corruption naming `name`
// for a size no object has (a truncated header or a final chunk shorter than its tag).
Result<uint64_t> PlainSize(uint64_t sealed_size, uint32_t chunk_size, std::string_view name);
// Where sealed chunk `index` starts in the stored object.
inline uint64_t ChunkOffset(uint64_t index, uint32_t chunk_size) {
  return kEncryptionHeaderSize + index * (uint64_t{chunk_size} + kChunkTagSize);
}

// Seals and opens the chunks of one object. Not thread-safe: one per reader or writer.
class ChunkCipher {
 public:
  // `key` is the master key whose id the header names.
  static Result<std::unique_ptr<ChunkCipher>> Create(const EncryptionKey& key,
                                                     const EncryptionHeader& header);
  ~ChunkCipher();
  ChunkCipher(const ChunkCipher&) = delete;
  ChunkCipher& operator=(const ChunkCipher&) = delete;

  const std::string& header() const { return header_; }  // as encoded
  uint32_t chunk_size() const { return chunk_size_; }

  // Appends sealed chunk `index` (plain.size() <= chunk_size()) to *out.
  Status Seal(uint64_t index, bool final, std::string_view plain, std::string* out);
  // Appends the plaintext of sealed chunk `index` to *out. Corruption when it does not
  // authenticate (the caller names the object).
  Status Open(uint64_t index, bool final, std::string_view sealed, std::string* out);
  // Opens consecutive sealed chunks `first_index`, ... laid out in `sealed`. `at_end`:
  // `sealed` reaches the object's end, so its last chunk is the final one (and may be
  // short); otherwise every chunk in it is whole and none is final. Corruption (naming
  // the chunk) for a chunk that does not authenticate or a tail shorter than a tag.
  Status OpenChunks(uint64_t first_index, std::string_view sealed, bool at_end, std::string* out);

 private:
  ChunkCipher() = default;
  void Nonce(uint64_t index, unsigned char* nonce) const;
  void Aad(uint64_t index, bool final, std::string* aad) const;

  std::string header_;
  uint32_t chunk_size_ = 0;
  EVP_CIPHER_CTX* seal_ = nullptr;
  EVP_CIPHER_CTX* open_ = nullptr;
};

// Seals `plain` whole: header + chunks.
Result<std::string> SealObject(const EncryptionKey& key, const EncryptionHeader& header,
                               std::string_view plain);

}  // namespace cairn
