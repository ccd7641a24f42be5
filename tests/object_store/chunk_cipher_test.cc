// The chunked AES-256-GCM codec (object_store/chunk_cipher.h): round trips, every range
// of chunks, sizes, and that truncation, a flipped byte, the wrong key and moved chunks
// are all detected.
#include "object_store/chunk_cipher.h"

#include <gtest/gtest.h>

#include <string>

#include "common/random.h"

namespace cairn {
namespace {

constexpr uint32_t kChunk = 16;

EncryptionKey Key(char fill) { return *EncryptionKey::FromBytes(std::string(32, fill)); }

EncryptionHeader Header(const EncryptionKey& key, char salt) {
  EncryptionHeader header;
  header.chunk_size = kChunk;
  header.key_id = key.id();
  header.salt = std::string(kEncryptionSaltSize, salt);
  return header;
}

std::string Plain(size_t n, uint64_t seed = 7) {
  Random random(seed);
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(random.Next()));
  return out;
}

// Opens a whole stored object as a reader does: header, key, size, every chunk.
Result<std::string> OpenObject(const EncryptionKey& key, std::string_view stored) {
  CAIRN_ASSIGN_OR_RETURN(EncryptionHeader header, DecodeEncryptionHeader(stored, "obj"));
  if (header.key_id != key.id()) return Status::FailedPrecondition("another key");
  CAIRN_RETURN_IF_ERROR(PlainSize(stored.size(), header.chunk_size, "obj").status());
  CAIRN_ASSIGN_OR_RETURN(auto cipher, ChunkCipher::Create(key, header));
  std::string out;
  CAIRN_RETURN_IF_ERROR(
      cipher->OpenChunks(0, stored.substr(kEncryptionHeaderSize), /*at_end=*/true, &out));
  return out;
}

TEST(ChunkCipherTest, RoundTripsEverySizeAroundChunkBoundaries) {
  EncryptionKey key = Key('k');
  for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 1000}) {
    SCOPED_TRACE(n);
    std::string plain = Plain(n);
    auto sealed = SealObject(key, Header(key, 's'), plain);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(sealed->size(), SealedSize(n, kChunk));
    if (n >= 16) {
      EXPECT_EQ(sealed->find(plain), std::string::npos) << "plaintext is stored";
    }
    auto size = PlainSize(sealed->size(), kChunk, "obj");
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, n);
    auto opened = OpenObject(key, *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plain);
  }
}

TEST(ChunkCipherTest, SizesInvertAndImpossibleSizesAreCorruption) {
  for (uint64_t n = 0; n < 200; ++n) {
    auto back = PlainSize(SealedSize(n, kChunk), kChunk, "obj");
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, n);
  }
  const uint64_t whole = kChunk + kChunkTagSize;
  for (uint64_t bad : {uint64_t{0}, uint64_t{kEncryptionHeaderSize},
                       kEncryptionHeaderSize + kChunkTagSize - 1,  // a tail shorter than a tag
                       kEncryptionHeaderSize + whole + 5,          // a tail shorter than a tag
                       kEncryptionHeaderSize + whole + kChunkTagSize}) {  // an empty tail chunk
    auto size = PlainSize(bad, kChunk, "snapshots/1.snap");
    ASSERT_FALSE(size.ok()) << bad;
    EXPECT_EQ(size.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(size.status().message().find("snapshots/1.snap"), std::string::npos);
  }
}

TEST(ChunkCipherTest, EveryRunOfChunksOpensAlone) {
  EncryptionKey key = Key('k');
  std::string plain = Plain(5 * kChunk + 3);
  auto sealed = SealObject(key, Header(key, 's'), plain);
  ASSERT_TRUE(sealed.ok());
  auto cipher = ChunkCipher::Create(key, Header(key, 's'));
  ASSERT_TRUE(cipher.ok());
  const uint64_t chunks = 6;
  for (uint64_t first = 0; first < chunks; ++first) {
    for (uint64_t last = first; last < chunks; ++last) {
      SCOPED_TRACE(std::to_string(first) + ".." + std::to_string(last));
      uint64_t from = ChunkOffset(first, kChunk);
      uint64_t to = std::min<uint64_t>(ChunkOffset(last + 1, kChunk), sealed->size());
      std::string out;
      Status s = (*cipher)->OpenChunks(first, std::string_view(*sealed).substr(from, to - from),
                                       last == chunks - 1, &out);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(out, plain.substr(first * kChunk, (last - first + 1) * kChunk));
    }
  }
}

TEST(ChunkCipherTest, EveryTruncationIsDetected) {
  EncryptionKey key = Key('k');
  for (size_t n : {0, 5, 16, 40}) {
    auto sealed = SealObject(key, Header(key, 's'), Plain(n));
    ASSERT_TRUE(sealed.ok());
    for (size_t cut = 0; cut < sealed->size(); ++cut) {
      auto opened = OpenObject(key, sealed->substr(0, cut));
      EXPECT_FALSE(opened.ok()) << n << " bytes cut to " << cut;
    }
  }
  // Cut at a chunk boundary, the rest still authenticates chunk by chunk, but the new
  // last chunk was not sealed final.
  auto sealed = SealObject(key, Header(key, 's'), Plain(3 * kChunk));
  ASSERT_TRUE(sealed.ok());
  auto cut = OpenObject(key, sealed->substr(0, ChunkOffset(2, kChunk)));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(cut.status().message().find("chunk 1"), std::string::npos) << cut.status().ToString();
}

TEST(ChunkCipherTest, EveryFlippedByteIsDetected) {
  EncryptionKey key = Key('k');
  auto sealed = SealObject(key, Header(key, 's'), Plain(2 * kChunk + 5));
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      std::string damaged = *sealed;
      damaged[i] = static_cast<char>(damaged[i] ^ bit);
      EXPECT_FALSE(OpenObject(key, damaged).ok()) << "byte " << i << " bit " << int(bit);
    }
  }
}

TEST(ChunkCipherTest, WrongKeyIsRefusedOrFailsToAuthenticate) {
  EncryptionKey right = Key('k'), wrong = Key('w');
  EXPECT_NE(right.id(), wrong.id());
  auto sealed = SealObject(right, Header(right, 's'), Plain(40));
  ASSERT_TRUE(sealed.ok());
  // The header names the right key: a cipher for another key is refused.
  EXPECT_EQ(ChunkCipher::Create(wrong, Header(right, 's')).status().code(),
            ErrorCode::kInvalidArgument);
  // A header rewritten to name the wrong key: nothing authenticates.
  std::string forged =
      EncodeEncryptionHeader(Header(wrong, 's')) + sealed->substr(kEncryptionHeaderSize);
  auto opened = OpenObject(wrong, forged);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kCorruption);
}

TEST(ChunkCipherTest, SwappedAndTransplantedChunksFail) {
  EncryptionKey key = Key('k');
  std::string plain = Plain(4 * kChunk);
  auto a = SealObject(key, Header(key, 'a'), plain);
  auto b = SealObject(key, Header(key, 'b'), plain);  // same plaintext, another salt
  ASSERT_TRUE(a.ok() && b.ok());
  const size_t whole = kChunk + kChunkTagSize;
  std::string swapped = *a;
  swapped.replace(ChunkOffset(1, kChunk), whole, a->substr(ChunkOffset(2, kChunk), whole));
  swapped.replace(ChunkOffset(2, kChunk), whole, a->substr(ChunkOffset(1, kChunk), whole));
  EXPECT_EQ(OpenObject(key, swapped).status().code(), ErrorCode::kCorruption);
  std::string transplanted = *a;
  transplanted.replace(ChunkOffset(1, kChunk), whole, b->substr(ChunkOffset(1, kChunk), whole));
  EXPECT_EQ(OpenObject(key, transplanted).status().code(), ErrorCode::kCorruption);
  // A whole extra chunk appended after the final one.
  std::string appended = *a + a->substr(ChunkOffset(3, kChunk), whole);
  EXPECT_FALSE(OpenObject(key, appended).ok());
  EXPECT_NE(a->substr(kEncryptionHeaderSize), b->substr(kEncryptionHeaderSize))
      << "two objects must not share a keystream";
}

TEST(ChunkCipherTest, HeaderIsValidated) {
  EncryptionKey key = Key('k');
  std::string header = EncodeEncryptionHeader(Header(key, 's'));
  ASSERT_EQ(header.size(), kEncryptionHeaderSize);
  EXPECT_TRUE(DecodeEncryptionHeader(header, "x").ok());
  EXPECT_EQ(DecodeEncryptionHeader(header.substr(0, 20), "x").status().code(),
            ErrorCode::kCorruption);
  std::string future = header;
  future[8] = 2;
  auto newer = DecodeEncryptionHeader(future, "x");
  EXPECT_EQ(newer.status().code(), ErrorCode::kNotSupported);
  std::string zero_chunk = header;
  zero_chunk.replace(12, 4, std::string(4, '\0'));
  EXPECT_EQ(DecodeEncryptionHeader(zero_chunk, "x").status().code(), ErrorCode::kCorruption);
}

TEST(EncryptionKeyTest, IdIsDerivedAndIsNotTheKey) {
  std::string bytes;
  for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<char>(i * 7 + 1));
  auto key = EncryptionKey::FromBytes(bytes);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->id().size(), kEncryptionKeyIdSize);
  EXPECT_EQ(key->id(), EncryptionKeyId(bytes));
  EXPECT_EQ(key->id().find_first_not_of("0123456789abcdef"), std::string::npos);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) hex += std::string{kHex[c >> 4], kHex[c & 15]};
  EXPECT_EQ(hex.find(key->id().substr(0, 8)), std::string::npos);
  for (size_t n : {0, 16, 31, 33, 64}) {
    auto bad = EncryptionKey::FromBytes(std::string(n, 'x'));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(bad.status().message().find("xxxx"), std::string::npos);
  }
  EncryptionKeyring ring;
  ring.Add(*key);
  ring.Add(*key);
  ring.Add(*EncryptionKey::FromBytes(std::string(32, 'b')));
  EXPECT_EQ(ring.ids().size(), 2u);
  EXPECT_EQ(ring.primary()->id(), key->id());
  EXPECT_NE(ring.Find(EncryptionKeyId(std::string(32, 'b'))), nullptr);
  EXPECT_EQ(ring.Find("0000000000000000"), nullptr);
}

}  // namespace
}  // namespace cairn
