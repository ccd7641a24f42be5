// EncryptedObjectStore: wraps any ObjectStore and encrypts the objects whose keys
// `encrypts` selects with the chunked AES-256-GCM format of chunk_cipher.h, so that what
// the base store holds is unreadable without the key (docs/backup-format.md
// "Encryption"). Used on backup storage (backup/backup_encryption.h).
//
// - Writes (Put, PutIfAbsent, NewWriter) of a selected key are sealed with the
//   keyring's primary key; a writer streams chunk by chunk, in bounded memory.
//   Unselected keys, or every key with an empty keyring, are stored as given.
// - Reads of a selected key look at the object's first bytes: an encrypted object
//   (the magic) is opened with the key its header names; any other object is returned
//   as stored (objects written before encryption was turned on). An encrypted object
//   whose key is not in the keyring is FailedPrecondition naming the object and the key
//   id (+ `missing_key_hint`); one that does not authenticate (a flipped byte, a
//   truncation, chunks swapped, another object's chunks) is Corruption naming it.
// - Sizes: Head, Get, GetRange and ObjectWriter::bytes_written() are in plaintext
//   bytes. List reports the sizes as stored (it does not open objects; an encrypted
//   object is SealedSize(plaintext) bytes).
// - GetRange reads the header and only the chunks the range covers (one request when
//   the range starts in the first chunk, else two); Head reads the header too.
//
// Thread-safe as the base store is; each call and writer has its own cipher state.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "object_store/chunk_cipher.h"
#include "object_store/encryption_key.h"
#include "object_store/object_store.h"

namespace cairn {

// Fills `n` bytes at `out` with random bytes (the per-object salt).
using RandomBytesFn = std::function<void(char* out, size_t n)>;

struct EncryptionOptions {
  EncryptionKeyring keys;
  // Which keys are (or may be) encrypted; nullptr = every key.
  std::function<bool(std::string_view key)> encrypts;
  // Appended to the error for an object sealed with a key not in `keys`.
  std::string missing_key_hint;
  uint32_t chunk_size = kDefaultEncryptionChunkSize;
  RandomBytesFn random;  // nullptr = OpenSSL's RAND_bytes
};

// Whether `listed` (a size from List, which reports stored sizes) fits an object of
// `plain_size` plaintext bytes: stored as given, or sealed in `chunk_size` chunks. For
// checks of a listing against recorded sizes (copied SSTs) on a storage that may mix
// plaintext and encrypted objects.
inline bool ListedSizeFits(uint64_t listed, uint64_t plain_size,
                           uint32_t chunk_size = kDefaultEncryptionChunkSize) {
  return listed == plain_size || listed == SealedSize(plain_size, chunk_size);
}

class EncryptedObjectStore final : public ObjectStore {
 public:
  EncryptedObjectStore(std::unique_ptr<ObjectStore> base, EncryptionOptions options);

  const EncryptionKeyring& keys() const { return options_.keys; }
  ObjectStore* base() const { return base_.get(); }

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectMeta> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override;
  std::string DescribeForLog() const override;
  std::string EncryptionKeyIdFor(std::string_view key) const override;

 private:
  bool Selected(std::string_view key) const;
  bool Seals(std::string_view key) const { return Selected(key) && !options_.keys.empty(); }
  EncryptionHeader NewHeader() const;
  // `data` sealed for `key` (as given when `key` is not sealed).
  Result<std::string> SealForWrite(std::string_view key, std::string_view data) const;
  // The cipher for an object whose header is `header_bytes`.
  Result<std::unique_ptr<ChunkCipher>> CipherFor(std::string_view key,
                                                 std::string_view header_bytes) const;
  Status Damaged(std::string_view key, const Status& status) const;
  Result<std::string> OpenRange(std::string_view key, ChunkCipher* cipher, uint64_t offset,
                                uint64_t length, uint64_t first_chunk, std::string_view sealed,
                                bool at_end) const;

  std::unique_ptr<ObjectStore> base_;
  EncryptionOptions options_;
};

}  // namespace cairn
