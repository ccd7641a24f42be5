#include "object_store/chunk_cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/coding.h"
#include "object_store/object_store.h"

namespace cairn {
namespace {

constexpr size_t kNonceSize = 12;
constexpr std::string_view kObjectKeyLabel = "cairn-object-key";

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status CryptoError(const char* what) {
  return Status::IOError(std::string("OpenSSL: ") + what + " failed");
}

// Allocates a context keyed for AES-256-GCM in one direction.
EVP_CIPHER_CTX* NewContext(bool seal, const unsigned char* key) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return nullptr;
  auto init = seal ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  if (init(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      init(ctx, nullptr, nullptr, key, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string EncodeEncryptionHeader(const EncryptionHeader& header) {
  std::string out(kEncryptionMagic);
  PutFixed32(&out, header.format_version);
  PutFixed32(&out, header.chunk_size);
  out += header.key_id;
  out += header.salt;
  return out;
}

bool HasEncryptionMagic(std::string_view bytes) { return bytes.starts_with(kEncryptionMagic); }

Result<EncryptionHeader> DecodeEncryptionHeader(std::string_view bytes, std::string_view name) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("encrypted object " + QuoteObjectKey(name) + ": " + what);
  };
  if (!HasEncryptionMagic(bytes)) return corrupt("no encryption header");
  if (bytes.size() < kEncryptionHeaderSize) return corrupt("truncated header");
  EncryptionHeader header;
  const char* p = bytes.data() + kEncryptionMagic.size();
  header.format_version = DecodeFixed32(p);
  if (header.format_version != kEncryptionFormatVersion) {
    return Status::NotSupported("encrypted object " + QuoteObjectKey(name) +
                                " has format version " + std::to_string(header.format_version) +
                                "; this build reads version " +
                                std::to_string(kEncryptionFormatVersion));
  }
  header.chunk_size = DecodeFixed32(p + 4);
  if (header.chunk_size == 0 || header.chunk_size > kMaxEncryptionChunkSize) {
    return corrupt("chunk size " + std::to_string(header.chunk_size) + " out of range");
  }
  header.key_id.assign(p + 8, kEncryptionKeyIdSize);
  if (!IsHex(header.key_id)) return corrupt("malformed key id");
  header.salt.assign(p + 8 + kEncryptionKeyIdSize, kEncryptionSaltSize);
  return header;
}

uint64_t SealedSize(uint64_t plain_size, uint32_t chunk_size) {
  uint64_t chunks = plain_size == 0 ? 1 : (plain_size + chunk_size - 1) / chunk_size;
  return kEncryptionHeaderSize + plain_size + chunks * kChunkTagSize;
}

Result<uint64_t> PlainSize(uint64_t sealed_size, uint32_t chunk_size, std::string_view name) {
  const uint64_t whole = uint64_t{chunk_size} + kChunkTagSize;
  if (sealed_size < kEncryptionHeaderSize + kChunkTagSize) {
    return Status::Corruption("encrypted object " + QuoteObjectKey(name) + " is truncated (" +
                              std::to_string(sealed_size) + " bytes)");
  }
  uint64_t body = sealed_size - kEncryptionHeaderSize;
  uint64_t chunks = (body + whole - 1) / whole;
  uint64_t tail = body - (chunks - 1) * whole;
  if (tail < kChunkTagSize || (tail == kChunkTagSize && chunks > 1)) {
    return Status::Corruption("encrypted object " + QuoteObjectKey(name) +
                              " is truncated (its last chunk is " + std::to_string(tail) +
                              " bytes)");
  }
  return body - chunks * kChunkTagSize;
}

Result<std::unique_ptr<ChunkCipher>> ChunkCipher::Create(const EncryptionKey& key,
                                                         const EncryptionHeader& header) {
  if (key.id() != header.key_id || header.salt.size() != kEncryptionSaltSize ||
      header.chunk_size == 0 || header.chunk_size > kMaxEncryptionChunkSize) {
    return Status::InvalidArgument("encryption header does not match its key");
  }
  std::string input(kObjectKeyLabel);
  input += header.salt;
  unsigned char object_key[EVP_MAX_MD_SIZE];
  unsigned int object_key_len = 0;
  HMAC(EVP_sha256(), key.bytes().data(), static_cast<int>(key.bytes().size()), Bytes(input),
       input.size(), object_key, &object_key_len);
  std::unique_ptr<ChunkCipher> cipher(new ChunkCipher);
  cipher->header_ = EncodeEncryptionHeader(header);
  cipher->chunk_size_ = header.chunk_size;
  cipher->seal_ = NewContext(true, object_key);
  cipher->open_ = NewContext(false, object_key);
  OPENSSL_cleanse(object_key, sizeof(object_key));
  if (cipher->seal_ == nullptr || cipher->open_ == nullptr) {
    return CryptoError("AES-256-GCM setup");
  }
  return cipher;
}

ChunkCipher::~ChunkCipher() {
  EVP_CIPHER_CTX_free(seal_);
  EVP_CIPHER_CTX_free(open_);
}

void ChunkCipher::Nonce(uint64_t index, unsigned char* nonce) const {
  for (size_t i = 0; i < 4; ++i) nonce[i] = 0;
  for (size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<unsigned char>(index >> (56 - 8 * i));
}

void ChunkCipher::Aad(uint64_t index, bool final, std::string* aad) const {
  aad->assign(header_);
  PutBigEndian64(aad, index);
  aad->push_back(final ? 1 : 0);
}

Status ChunkCipher::Seal(uint64_t index, bool final, std::string_view plain, std::string* out) {
  if (plain.size() > chunk_size_) return Status::InvalidArgument("chunk larger than chunk size");
  unsigned char nonce[kNonceSize];
  Nonce(index, nonce);
  std::string aad;
  Aad(index, final, &aad);
  size_t start = out->size();
  out->resize(start + plain.size() + kChunkTagSize);
  auto* dst = reinterpret_cast<unsigned char*>(out->data() + start);
  int len = 0, tail = 0;
  if (EVP_EncryptInit_ex(seal_, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_EncryptUpdate(seal_, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(seal_, dst, &len, Bytes(plain), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(seal_, dst + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(seal_, EVP_CTRL_GCM_GET_TAG, kChunkTagSize, dst + plain.size()) != 1) {
    out->resize(start);
    return CryptoError("AES-256-GCM encryption");
  }
  return Status::OK();
}

Status ChunkCipher::Open(uint64_t index, bool final, std::string_view sealed, std::string* out) {
  if (sealed.size() < kChunkTagSize || sealed.size() > chunk_size_ + kChunkTagSize) {
    return Status::Corruption("chunk " + std::to_string(index) + " has a bad length");
  }
  size_t plain_size = sealed.size() - kChunkTagSize;
  unsigned char nonce[kNonceSize];
  Nonce(index, nonce);
  std::string aad;
  Aad(index, final, &aad);
  std::string tag(sealed.substr(plain_size));
  size_t start = out->size();
  out->resize(start + plain_size);
  auto* dst = reinterpret_cast<unsigned char*>(out->data() + start);
  int len = 0, tail = 0;
  bool ok =
      EVP_DecryptInit_ex(open_, nullptr, nullptr, nullptr, nonce) == 1 &&
      EVP_DecryptUpdate(open_, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(open_, dst, &len, Bytes(sealed), static_cast<int>(plain_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(open_, EVP_CTRL_GCM_SET_TAG, kChunkTagSize, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(open_, dst + len, &tail) == 1;
  if (!ok) {
    out->resize(start);  // nothing unauthenticated leaves
    return Status::Corruption("chunk " + std::to_string(index) + (final ? " (the final one)" : "") +
                              " does not authenticate (damaged, truncated, reordered or "
                              "sealed with another key)");
  }
  return Status::OK();
}

Status ChunkCipher::OpenChunks(uint64_t first_index, std::string_view sealed, bool at_end,
                               std::string* out) {
  const size_t whole = size_t{chunk_size_} + kChunkTagSize;
  if (sealed.empty() && at_end && first_index == 0) {
    return Status::Corruption("no chunks after the header (truncated)");
  }
  out->reserve(out->size() + sealed.size());
  uint64_t index = first_index;
  while (!sealed.empty()) {
    bool final = at_end && sealed.size() <= whole;
    if (!final && sealed.size() < whole) {
      return Status::Corruption("chunk " + std::to_string(index) + " is cut short");
    }
    size_t n = final ? sealed.size() : whole;
    CAIRN_RETURN_IF_ERROR(Open(index, final, sealed.substr(0, n), out));
    sealed.remove_prefix(n);
    ++index;
  }
  return Status::OK();
}

Result<std::string> SealObject(const EncryptionKey& key, const EncryptionHeader& header,
                               std::string_view plain) {
  CAIRN_ASSIGN_OR_RETURN(auto cipher, ChunkCipher::Create(key, header));
  std::string out = cipher->header();
  out.reserve(SealedSize(plain.size(), header.chunk_size));
  uint64_t index = 0;
  do {
    std::string_view piece = plain.substr(0, header.chunk_size);
    plain.remove_prefix(piece.size());
    CAIRN_RETURN_IF_ERROR(cipher->Seal(index++, plain.empty(), piece, &out));
  } while (!plain.empty());
  return out;
}

}  // namespace cairn
