// EncryptedObjectStore beyond the conformance suite: what the base store holds, mixed
// plaintext and encrypted objects, missing and rotated keys, damage, range reads that
// touch only their chunks.
#include "object_store/encrypted_object_store.h"

#include <gtest/gtest.h>

#include "object_store/mem_object_store.h"

namespace cairn {
namespace {

constexpr uint32_t kChunk = 64;

EncryptionKey Key(char fill) { return *EncryptionKey::FromBytes(std::string(32, fill)); }

std::string Text(size_t n) {
  std::string out;
  for (size_t i = 0; out.size() < n; ++i) out += "record-" + std::to_string(i) + ";";
  out.resize(n);
  return out;
}

class EncryptedObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = "encrypted-test-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    base_ = *OpenObjectStore("mem://" + name_);
  }
  void TearDown() override { DropMemObjectStore(name_); }

  // A wrapper over the same mem store holding `keys` (primary first), sealing "enc/".
  std::unique_ptr<EncryptedObjectStore> Open(std::vector<char> keys) {
    EncryptionOptions options;
    for (char k : keys) options.keys.Add(Key(k));
    options.encrypts = [](std::string_view key) { return key.starts_with("enc/"); };
    options.missing_key_hint = "; pass its key file";
    options.chunk_size = kChunk;
    return std::make_unique<EncryptedObjectStore>(*OpenObjectStore("mem://" + name_),
                                                  std::move(options));
  }

  std::string name_;
  std::unique_ptr<ObjectStore> base_;  // the same objects, unwrapped
};

TEST_F(EncryptedObjectStoreTest, SealsSelectedKeysOnly) {
  auto store = Open({'a'});
  std::string value = Text(1000);
  ASSERT_TRUE(store->Put("enc/x", value).ok());
  ASSERT_TRUE(store->Put("plain/x", value).ok());
  auto writer = store->NewWriter("enc/streamed", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok());
  for (size_t off = 0; off < value.size(); off += 37) {
    ASSERT_TRUE((*writer)->Append(std::string_view(value).substr(off, 37)).ok());
  }
  EXPECT_EQ((*writer)->bytes_written(), value.size());
  ASSERT_TRUE((*writer)->Finish().ok());

  EXPECT_EQ(*base_->Get("plain/x"), value);
  for (const char* key : {"enc/x", "enc/streamed"}) {
    std::string stored = *base_->Get(key);
    EXPECT_TRUE(stored.starts_with(kEncryptionMagic)) << key;
    EXPECT_EQ(stored.find("record-1"), std::string::npos) << key;
    EXPECT_EQ(stored.size(), SealedSize(value.size(), kChunk));
    EXPECT_EQ(*store->Get(key), value);
    EXPECT_EQ(store->Head(key)->size, value.size());
  }
  EXPECT_EQ(store->EncryptionKeyIdFor("enc/x"), Key('a').id());
  EXPECT_EQ(store->EncryptionKeyIdFor("plain/x"), "");
  EXPECT_EQ(Open({})->EncryptionKeyIdFor("enc/x"), "");
}

TEST_F(EncryptedObjectStoreTest, ObjectsWrittenBeforeEncryptionReadAsStored) {
  std::string value = Text(500);
  ASSERT_TRUE(Open({})->Put("enc/old", value).ok());  // no key: stored as given
  EXPECT_EQ(*base_->Get("enc/old"), value);
  auto store = Open({'a'});
  ASSERT_TRUE(store->Put("enc/new", value).ok());
  for (const char* key : {"enc/old", "enc/new"}) {
    EXPECT_EQ(*store->Get(key), value) << key;
    EXPECT_EQ(store->Head(key)->size, value.size()) << key;
    EXPECT_EQ(*store->GetRange(key, 3, 10), value.substr(3, 10)) << key;
    EXPECT_EQ(*store->GetRange(key, 200, 100), value.substr(200, 100)) << key;
    EXPECT_EQ(*store->GetRange(key, 490, 100), value.substr(490)) << key;
  }
}

TEST_F(EncryptedObjectStoreTest, MissingKeyNamesObjectAndKeyId) {
  ASSERT_TRUE(Open({'a'})->Put("enc/x", Text(300)).ok());
  for (auto keys : {std::vector<char>{}, std::vector<char>{'b'}}) {
    auto store = Open(keys);
    for (const Status& s : {store->Get("enc/x").status(), store->GetRange("enc/x", 0, 10).status(),
                            store->GetRange("enc/x", 200, 10).status()}) {
      EXPECT_EQ(s.code(), ErrorCode::kFailedPrecondition) << s.ToString();
      EXPECT_NE(s.message().find("'enc/x'"), std::string::npos) << s.ToString();
      EXPECT_NE(s.message().find("encrypted with key " + Key('a').id()), std::string::npos)
          << s.ToString();
      EXPECT_NE(s.message().find("pass its key file"), std::string::npos) << s.ToString();
    }
    // The size needs no key.
    EXPECT_EQ(store->Head("enc/x")->size, 300u);
  }
}

TEST_F(EncryptedObjectStoreTest, RotationWritesWithTheFirstKeyAndReadsWithAny) {
  std::string v1 = Text(200), v2 = Text(333);
  ASSERT_TRUE(Open({'a'})->Put("enc/1", v1).ok());
  auto rotated = Open({'b', 'a'});
  ASSERT_TRUE(rotated->Put("enc/2", v2).ok());
  EXPECT_EQ(*rotated->Get("enc/1"), v1);
  EXPECT_EQ(*rotated->Get("enc/2"), v2);
  EXPECT_EQ(rotated->EncryptionKeyIdFor("enc/2"), Key('b').id());
  EXPECT_EQ(Open({'a'})->Get("enc/2").status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(*Open({'b'})->Get("enc/2"), v2);
}

TEST_F(EncryptedObjectStoreTest, DamageIsCorruptionNamingTheObject) {
  auto store = Open({'a'});
  std::string value = Text(10 * kChunk);
  ASSERT_TRUE(store->Put("enc/x", value).ok());
  std::string stored = *base_->Get("enc/x");
  auto expect_corrupt = [&](const Status& s, const std::string& what) {
    EXPECT_EQ(s.code(), ErrorCode::kCorruption) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find("'enc/x'"), std::string::npos) << what << ": " << s.ToString();
  };
  // A flipped byte in chunk 4.
  std::string flipped = stored;
  flipped[ChunkOffset(4, kChunk) + 3] ^= 0x10;
  ASSERT_TRUE(base_->Put("enc/x", flipped).ok());
  expect_corrupt(store->Get("enc/x").status(), "get");
  expect_corrupt(store->GetRange("enc/x", 4 * kChunk + 10, 5).status(), "range in chunk 4");
  // Ranges that do not touch chunk 4 read only their chunks and succeed.
  EXPECT_EQ(*store->GetRange("enc/x", 0, 4 * kChunk), value.substr(0, 4 * kChunk));
  EXPECT_EQ(*store->GetRange("enc/x", 5 * kChunk, 100), value.substr(5 * kChunk, 100));
  EXPECT_EQ(*store->GetRange("enc/x", 9 * kChunk + 1, 1000), value.substr(9 * kChunk + 1));
  // Truncated at a chunk boundary: the new last chunk was not sealed final.
  ASSERT_TRUE(base_->Put("enc/x", stored.substr(0, ChunkOffset(7, kChunk))).ok());
  expect_corrupt(store->Get("enc/x").status(), "get truncated");
  expect_corrupt(store->GetRange("enc/x", 6 * kChunk, 10).status(), "last chunk of truncated");
  // Truncated inside a tag, and to the header alone.
  ASSERT_TRUE(base_->Put("enc/x", stored.substr(0, stored.size() - 3)).ok());
  expect_corrupt(store->Get("enc/x").status(), "get cut tag");
  ASSERT_TRUE(base_->Put("enc/x", stored.substr(0, kEncryptionHeaderSize)).ok());
  expect_corrupt(store->Get("enc/x").status(), "header only");
  expect_corrupt(store->GetRange("enc/x", 0, 10).status(), "header only range");
  expect_corrupt(store->Head("enc/x").status(), "header only head");
  // Another object's bytes under this key.
  ASSERT_TRUE(store->Put("enc/y", value).ok());
  ASSERT_TRUE(base_->Put("enc/x", *base_->Get("enc/y")).ok());
  EXPECT_EQ(*store->Get("enc/x"), value) << "a whole object is self-contained";
  std::string mixed = stored;
  std::string other = *base_->Get("enc/y");
  mixed.replace(ChunkOffset(2, kChunk), kChunk + kChunkTagSize,
                other.substr(ChunkOffset(2, kChunk), kChunk + kChunkTagSize));
  ASSERT_TRUE(base_->Put("enc/x", mixed).ok());
  expect_corrupt(store->Get("enc/x").status(), "a chunk of another object");
}

TEST_F(EncryptedObjectStoreTest, EveryRangeOfAMultiChunkObject) {
  auto store = Open({'a'});
  std::string value = Text(3 * kChunk + 7);
  ASSERT_TRUE(store->Put("enc/r", value).ok());
  for (uint64_t off = 0; off <= value.size() + 1; ++off) {
    for (uint64_t len : {uint64_t{1}, uint64_t{kChunk - 1}, uint64_t{kChunk}, uint64_t{kChunk + 1},
                         uint64_t{2 * kChunk}, uint64_t{1000}, UINT64_MAX}) {
      auto got = store->GetRange("enc/r", off, len);
      ASSERT_TRUE(got.ok()) << off << "+" << len << ": " << got.status().ToString();
      std::string want = off < value.size() ? value.substr(off, len) : "";
      ASSERT_EQ(*got, want) << off << "+" << len;
    }
  }
}

TEST_F(EncryptedObjectStoreTest, SaltComesFromTheInjectedRandomSource) {
  auto open_with = [&](char salt_byte) {
    EncryptionOptions options;
    options.keys.Add(Key('a'));
    options.random = [salt_byte](char* out, size_t n) { std::fill(out, out + n, salt_byte); };
    return std::make_unique<EncryptedObjectStore>(*OpenObjectStore("mem://" + name_),
                                                  std::move(options));
  };
  ASSERT_TRUE(open_with('1')->Put("a", "same bytes").ok());
  ASSERT_TRUE(open_with('1')->Put("b", "same bytes").ok());
  ASSERT_TRUE(open_with('2')->Put("c", "same bytes").ok());
  EXPECT_EQ(*base_->Get("a"), *base_->Get("b"));
  EXPECT_NE(*base_->Get("a"), *base_->Get("c"));
  EXPECT_NE(base_->Get("a")->find(std::string(kEncryptionSaltSize, '1')), std::string::npos);
}

TEST_F(EncryptedObjectStoreTest, ListReportsStoredSizesThatListedSizeFitsAccepts) {
  auto store = Open({'a'});
  ASSERT_TRUE(Open({})->Put("enc/plain", Text(1000)).ok());
  ASSERT_TRUE(store->Put("enc/sealed", Text(1000)).ok());
  auto page = store->List("enc/", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].size, 1000u);                     // enc/plain
  EXPECT_EQ(page->objects[1].size, SealedSize(1000, kChunk));  // enc/sealed
  for (const auto& o : page->objects) {
    EXPECT_TRUE(ListedSizeFits(o.size, 1000, kChunk)) << o.key;
    EXPECT_FALSE(ListedSizeFits(o.size, 999, kChunk)) << o.key;
    EXPECT_EQ(store->Head(o.key)->size, 1000u) << o.key;
  }
}

TEST_F(EncryptedObjectStoreTest, WriterAbortAndCreateOnly) {
  auto store = Open({'a'});
  auto writer = store->NewWriter("enc/w", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(Text(500)).ok());
  (*writer)->Abort();
  EXPECT_FALSE((*writer)->Append("x").ok());
  EXPECT_FALSE((*writer)->Finish().ok());
  EXPECT_EQ(store->Head("enc/w").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store->Put("enc/w", "old").ok());
  auto again = store->NewWriter("enc/w", WriteMode::kCreateOnly);
  ASSERT_TRUE(again.ok());
  Status appended = (*again)->Append("new");
  Status finished = (*again)->Finish();
  EXPECT_EQ(finished.code(), ErrorCode::kAlreadyExists) << finished.ToString();
  EXPECT_EQ(*store->Get("enc/w"), "old");
  EXPECT_EQ(store->PutIfAbsent("enc/w", "newer").code(), ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace cairn
