#include "object_store/encryption_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace cairn {

Result<EncryptionKey> EncryptionKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kEncryptionKeySize) {
    return Status::InvalidArgument("an encryption key is exactly " +
                                   std::to_string(kEncryptionKeySize) + " bytes, got " +
                                   std::to_string(bytes.size()));
  }
  EncryptionKey key;
  key.bytes_.assign(bytes);
  key.id_ = EncryptionKeyId(bytes);
  return key;
}

EncryptionKey::~EncryptionKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

std::string EncryptionKeyId(std::string_view bytes) {
  static constexpr std::string_view kLabel = "cairn-key-id";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), bytes.data(), static_cast<int>(bytes.size()),
       reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (size_t i = 0; i < kEncryptionKeyIdSize / 2; ++i) {
    id += kHex[mac[i] >> 4];
    id += kHex[mac[i] & 15];
  }
  OPENSSL_cleanse(mac, sizeof(mac));
  return id;
}

void EncryptionKeyring::Add(EncryptionKey key) {
  if (Find(key.id()) == nullptr) keys_.push_back(std::move(key));
}

const EncryptionKey* EncryptionKeyring::Find(std::string_view id) const {
  for (const auto& key : keys_) {
    if (key.id() == id) return &key;
  }
  return nullptr;
}

std::vector<std::string> EncryptionKeyring::ids() const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(key.id());
  return out;
}

}  // namespace cairn
