#include "object_store/encrypted_object_store.h"

#include <openssl/rand.h>

#include <algorithm>

namespace cairn {
namespace {

// Ranges longer than this are clipped (the object is shorter anyway), so that chunk
// arithmetic cannot overflow.
constexpr uint64_t kMaxRange = uint64_t{1} << 50;

void OpenSslRandom(char* out, size_t n) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    std::abort();  // no entropy: sealing with a predictable salt is worse than dying
  }
}

// Seals what is appended in chunks; holds back one whole chunk until more bytes (or
// Finish) show whether it is the final one.
class SealingWriter final : public ObjectWriter {
 public:
  SealingWriter(std::unique_ptr<ObjectWriter> base, std::unique_ptr<ChunkCipher> cipher)
      : base_(std::move(base)), cipher_(std::move(cipher)), out_(cipher_->header()) {}

  Status Append(std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(status_);
    const size_t chunk = cipher_->chunk_size();
    bytes_ += data.size();
    while (!data.empty()) {
      if (pending_.size() == chunk) {  // more bytes follow: not the final chunk
        status_ = cipher_->Seal(index_++, false, pending_, &out_);
        CAIRN_RETURN_IF_ERROR(status_);
        pending_.clear();
      }
      // Whole chunks with more bytes after them are sealed straight from `data`.
      while (pending_.empty() && data.size() > chunk) {
        status_ = cipher_->Seal(index_++, false, data.substr(0, chunk), &out_);
        CAIRN_RETURN_IF_ERROR(status_);
        data.remove_prefix(chunk);
      }
      size_t n = std::min(chunk - pending_.size(), data.size());
      pending_.append(data.substr(0, n));
      data.remove_prefix(n);
    }
    return Flush();
  }

  Status Finish() override {
    CAIRN_RETURN_IF_ERROR(status_);
    status_ = cipher_->Seal(index_++, true, pending_, &out_);
    if (status_.ok()) status_ = Flush();
    if (status_.ok()) status_ = base_->Finish();
    if (!status_.ok()) {
      base_->Abort();
      return status_;
    }
    status_ = Status::FailedPrecondition("the writer has finished");
    return Status::OK();
  }

  void Abort() override {
    base_->Abort();
    if (status_.ok()) status_ = Status::Aborted("the writer was aborted");
  }
  uint64_t bytes_written() const override { return bytes_; }

 private:
  Status Flush() {
    if (out_.empty()) return Status::OK();
    status_ = base_->Append(out_);
    out_.clear();
    return status_;
  }

  std::unique_ptr<ObjectWriter> base_;
  std::unique_ptr<ChunkCipher> cipher_;
  std::string out_;      // sealed, not yet appended to base_
  std::string pending_;  // plaintext of the chunk being filled
  uint64_t index_ = 0;
  uint64_t bytes_ = 0;
  Status status_;
};

}  // namespace

EncryptedObjectStore::EncryptedObjectStore(std::unique_ptr<ObjectStore> base,
                                           EncryptionOptions options)
    : base_(std::move(base)), options_(std::move(options)) {
  if (!options_.random) options_.random = OpenSslRandom;
}

bool EncryptedObjectStore::Selected(std::string_view key) const {
  return !options_.encrypts || options_.encrypts(key);
}

EncryptionHeader EncryptedObjectStore::NewHeader() const {
  EncryptionHeader header;
  header.chunk_size = options_.chunk_size;
  header.key_id = options_.keys.primary()->id();
  header.salt.resize(kEncryptionSaltSize);
  options_.random(header.salt.data(), header.salt.size());
  return header;
}

Result<std::string> EncryptedObjectStore::SealForWrite(std::string_view key,
                                                       std::string_view data) const {
  if (!Seals(key)) return std::string(data);
  return SealObject(*options_.keys.primary(), NewHeader(), data);
}

Status EncryptedObjectStore::Put(std::string_view key, std::string_view data) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (!Seals(key)) return base_->Put(key, data);
  CAIRN_ASSIGN_OR_RETURN(std::string sealed, SealForWrite(key, data));
  return base_->Put(key, sealed);
}

Status EncryptedObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (!Seals(key)) return base_->PutIfAbsent(key, data);
  CAIRN_ASSIGN_OR_RETURN(std::string sealed, SealForWrite(key, data));
  return base_->PutIfAbsent(key, sealed);
}

Result<std::unique_ptr<ObjectWriter>> EncryptedObjectStore::NewWriter(std::string_view key,
                                                                      WriteMode mode) {
  CAIRN_ASSIGN_OR_RETURN(auto base, base_->NewWriter(key, mode));
  if (!Seals(key)) return base;
  CAIRN_ASSIGN_OR_RETURN(auto cipher, ChunkCipher::Create(*options_.keys.primary(), NewHeader()));
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<SealingWriter>(std::move(base), std::move(cipher)));
}

Result<std::unique_ptr<ChunkCipher>> EncryptedObjectStore::CipherFor(
    std::string_view key, std::string_view header_bytes) const {
  auto header = DecodeEncryptionHeader(header_bytes, key);
  if (!header.ok()) return header.status().WithContext("in " + base_->DescribeForLog());
  const EncryptionKey* master = options_.keys.Find(header->key_id);
  if (master == nullptr) {
    return Status::FailedPrecondition(QuoteObjectKey(key) + " in " + base_->DescribeForLog() +
                                      " is encrypted with key " + header->key_id +
                                      ", which is not loaded" + options_.missing_key_hint);
  }
  return ChunkCipher::Create(*master, *header);
}

Status EncryptedObjectStore::Damaged(std::string_view key, const Status& status) const {
  if (!status.IsCorruption()) return status;
  return Status::Corruption("encrypted object " + QuoteObjectKey(key) + " in " +
                            base_->DescribeForLog() + ": " + status.message());
}

Result<std::string> EncryptedObjectStore::Get(std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(std::string raw, base_->Get(key));
  if (!Selected(key) || !HasEncryptionMagic(raw)) return raw;
  CAIRN_ASSIGN_OR_RETURN(auto cipher, CipherFor(key, raw));
  std::string_view body(raw);
  body.remove_prefix(kEncryptionHeaderSize);
  std::string plain;
  Status opened = cipher->OpenChunks(0, body, /*at_end=*/true, &plain);
  if (!opened.ok()) return Damaged(key, opened);
  return plain;
}

Result<std::string> EncryptedObjectStore::OpenRange(std::string_view key, ChunkCipher* cipher,
                                                    uint64_t offset, uint64_t length,
                                                    uint64_t first_chunk, std::string_view sealed,
                                                    bool at_end) const {
  std::string plain;
  Status opened = cipher->OpenChunks(first_chunk, sealed, at_end, &plain);
  if (!opened.ok()) return Damaged(key, opened);
  uint64_t skip = offset - first_chunk * cipher->chunk_size();
  if (skip >= plain.size()) return std::string();
  plain.erase(0, skip);
  if (plain.size() > length) plain.resize(length);
  return plain;
}

Result<std::string> EncryptedObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                   uint64_t length) {
  if (!Selected(key) || length == 0) return base_->GetRange(key, offset, length);
  length = std::min(length, kMaxRange);
  offset = std::min(offset, kMaxRange);
  // One byte past the range's chunks: whether it is there says if the last one is final.
  const uint64_t extra = 1;
  uint64_t chunk = options_.chunk_size;
  if (offset < chunk) {
    // The range starts in the first chunk: header and chunks in one request.
    uint64_t last = (offset + length - 1) / chunk;
    uint64_t want = ChunkOffset(last + 1, chunk) + extra;
    CAIRN_ASSIGN_OR_RETURN(std::string raw, base_->GetRange(key, 0, want));
    if (!HasEncryptionMagic(raw)) return raw.size() > offset ? raw.substr(offset, length) : "";
    CAIRN_ASSIGN_OR_RETURN(auto cipher, CipherFor(key, raw));
    if (cipher->chunk_size() == chunk) {
      bool at_end = raw.size() < want;
      std::string_view sealed(raw);
      sealed.remove_prefix(kEncryptionHeaderSize);
      if (!at_end) sealed.remove_suffix(extra);
      return OpenRange(key, cipher.get(), offset, length, 0, sealed, at_end);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(std::string head, base_->GetRange(key, 0, kEncryptionHeaderSize));
  if (!HasEncryptionMagic(head)) return base_->GetRange(key, offset, length);
  CAIRN_ASSIGN_OR_RETURN(auto cipher, CipherFor(key, head));
  chunk = cipher->chunk_size();
  uint64_t first = offset / chunk;
  uint64_t last = (offset + length - 1) / chunk;
  uint64_t from = ChunkOffset(first, chunk);
  uint64_t want = ChunkOffset(last + 1, chunk) + extra - from;
  CAIRN_ASSIGN_OR_RETURN(std::string raw, base_->GetRange(key, from, want));
  bool at_end = raw.size() < want;
  std::string_view sealed(raw);
  if (!at_end) sealed.remove_suffix(extra);
  return OpenRange(key, cipher.get(), offset, length, first, sealed, at_end);
}

Result<ObjectMeta> EncryptedObjectStore::Head(std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(ObjectMeta meta, base_->Head(key));
  if (!Selected(key)) return meta;
  CAIRN_ASSIGN_OR_RETURN(std::string head, base_->GetRange(key, 0, kEncryptionHeaderSize));
  if (!HasEncryptionMagic(head)) return meta;
  auto header = DecodeEncryptionHeader(head, key);
  if (!header.ok()) return header.status().WithContext("in " + base_->DescribeForLog());
  auto size = PlainSize(meta.size, header->chunk_size, key);
  if (!size.ok()) return size.status().WithContext("in " + base_->DescribeForLog());
  meta.size = *size;
  return meta;
}

Status EncryptedObjectStore::Delete(std::string_view key) { return base_->Delete(key); }

Result<ListPage> EncryptedObjectStore::List(std::string_view prefix, std::string_view token,
                                            size_t limit) {
  return base_->List(prefix, token, limit);
}

std::string EncryptedObjectStore::DescribeForLog() const { return base_->DescribeForLog(); }

std::string EncryptedObjectStore::EncryptionKeyIdFor(std::string_view key) const {
  return Seals(key) ? options_.keys.primary()->id() : std::string();
}

}  // namespace cairn
