// Blocks, bloom filters, block framing and footers, in memory.
#include "sst/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "common/random.h"
#include "sst/block_builder.h"
#include "sst/bloom.h"
#include "sst/format.h"
#include "sst/internal_key.h"

namespace cairn::sst {
namespace {

TEST(InternalKeyTest, OrdersByTableThenKeyThenNewestEpochFirst) {
  std::vector<std::string> sorted = {
      MakeInternalKey(1, "a", 9, ValueKind::kPut),  MakeInternalKey(1, "a", 3, ValueKind::kDelete),
      MakeInternalKey(1, "ab", 5, ValueKind::kPut), MakeInternalKey(1, "b", 1, ValueKind::kPut),
      MakeInternalKey(2, "", 7, ValueKind::kPut),   MakeInternalKey(2, "a", 7, ValueKind::kPut)};
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(CompareInternalKeys(sorted[i], sorted[i + 1]), 0) << i;
    EXPECT_GT(CompareInternalKeys(sorted[i + 1], sorted[i]), 0) << i;
  }
  ParsedInternalKey parsed;
  ASSERT_TRUE(ParseInternalKey(sorted[2], &parsed));
  EXPECT_EQ(parsed.table_id(), 1u);
  EXPECT_EQ(parsed.user_key(), "ab");
  EXPECT_EQ(parsed.epoch, 5u);
  EXPECT_EQ(parsed.kind, ValueKind::kPut);
  // A seek key lands on the newest version at or below its epoch.
  EXPECT_GT(CompareInternalKeys(MakeSeekKey(1, "a", 5), sorted[0]), 0);
  EXPECT_LT(CompareInternalKeys(MakeSeekKey(1, "a", 5), sorted[1]), 0);
  EXPECT_LE(CompareInternalKeys(MakeSeekKey(1, "a", 3), sorted[1]), 0);
  EXPECT_FALSE(ParseInternalKey("short", &parsed));
}

TEST(BlockTest, RoundTripAndSeek) {
  Random rnd(42);
  std::map<std::string, std::string, InternalKeyLess> entries;
  for (int i = 0; i < 500; ++i) {
    entries[MakeInternalKey(1, rnd.Bytes(1 + rnd.Uniform(12)), rnd.Uniform(100), ValueKind::kPut)] =
        rnd.Bytes(rnd.Uniform(30));
  }
  BlockBuilder builder(16);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  auto block = Block::Parse(std::string(builder.Finish()), "test block");
  ASSERT_TRUE(block.ok()) << block.status().ToString();

  auto it = Block::NewIterator(*block);
  it->SeekToFirst();
  for (const auto& [k, v] : entries) {
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), k);
    EXPECT_EQ(it->value(), v);
    it->Next();
  }
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());

  for (int i = 0; i < 200; ++i) {
    std::string target = MakeSeekKey(1, rnd.Bytes(1 + rnd.Uniform(12)), rnd.Uniform(100));
    auto expected = entries.lower_bound(target);
    it->Seek(target);
    if (expected == entries.end()) {
      EXPECT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), expected->first);
    }
  }
}

TEST(BlockTest, MalformedRestartArrayIsCorruption) {
  auto block = Block::Parse(std::string("\xff\xff\xff\x7f", 4), "blk");
  ASSERT_FALSE(block.ok());
  EXPECT_TRUE(block.status().IsCorruption());
}

TEST(BloomTest, NoFalseNegativesAndFewFalsePositives) {
  BloomBuilder builder(10);
  for (int i = 0; i < 10000; ++i) builder.AddKey("key" + std::to_string(i));
  std::string filter = builder.Finish();
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(BloomMayContain(filter, "key" + std::to_string(i)));
  int false_positives = 0;
  for (int i = 0; i < 10000; ++i)
    false_positives += BloomMayContain(filter, "x" + std::to_string(i));
  EXPECT_LT(false_positives, 300);  // ~1% expected at 10 bits/key
}

// Filters of SSTs written before the cache-local layout keep answering correctly.
TEST(BloomTest, ClassicLayoutStillReads) {
  BloomBuilder builder(10, BloomLayout::kClassic);
  for (int i = 0; i < 5000; ++i) builder.AddKey("key" + std::to_string(i));
  std::string filter = builder.Finish();
  ASSERT_GE(static_cast<uint8_t>(filter.back()), 1);
  ASSERT_LE(static_cast<uint8_t>(filter.back()), 30);
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(BloomMayContain(filter, "key" + std::to_string(i)));
  int false_positives = 0;
  for (int i = 0; i < 10000; ++i)
    false_positives += BloomMayContain(filter, "x" + std::to_string(i));
  EXPECT_LT(false_positives, 300);
}

TEST(BloomTest, CacheLocalLayoutIsWholeLinesAndTagged) {
  for (int n : {0, 1, 51, 52, 1000}) {
    BloomBuilder builder(10);
    for (int i = 0; i < n; ++i) builder.AddKey("k" + std::to_string(i));
    std::string filter = builder.Finish();
    ASSERT_EQ((filter.size() - 2) % kBloomLineBytes, 0u) << n;
    EXPECT_GE(filter.size() - 2, std::max<size_t>(kBloomLineBytes, (n * 10 + 7) / 8)) << n;
    EXPECT_EQ(static_cast<uint8_t>(filter.back()), 0xB1);
    EXPECT_EQ(filter[filter.size() - 2], 6);  // k for 10 bits/key
    for (int i = 0; i < n; ++i) EXPECT_TRUE(BloomMayContain(filter, "k" + std::to_string(i)));
  }
}

TEST(BloomTest, MalformedFilterSaysMaybe) {
  BloomBuilder builder(10);
  for (int i = 0; i < 100; ++i) builder.AddKey("k" + std::to_string(i));
  std::string good = builder.Finish();
  std::string bad_k = good;
  bad_k[bad_k.size() - 2] = 0;        // probe count 0
  std::string torn = good.substr(1);  // not whole lines
  for (const std::string& f : {bad_k, torn, std::string("\xb1"), std::string()}) {
    EXPECT_TRUE(BloomMayContain(f, "absent"));
  }
}

TEST(FormatTest, BlockChecksumCatchesEveryFlippedByte) {
  std::string raw(3000, 'a');
  for (size_t i = 0; i < raw.size(); i += 7) raw[i] = static_cast<char>('a' + i % 26);
  for (Compression c : {Compression::kNone, Compression::kLz4}) {
    std::string framed;
    AppendBlock(&framed, raw, c);
    auto decoded = DecodeBlock(framed, "blk");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, raw);
    for (size_t i = 0; i < framed.size(); i += 13) {
      std::string bad = framed;
      bad[i] ^= 0x20;
      auto r = DecodeBlock(bad, "SST data/x.sst block at offset 0");
      ASSERT_FALSE(r.ok()) << "byte " << i;
      EXPECT_TRUE(r.status().IsCorruption());
      EXPECT_NE(r.status().message().find("data/x.sst block at offset 0"), std::string::npos);
    }
  }
}

TEST(FormatTest, LargeCompressibleBlockShrinks) {
  std::string framed;
  uint64_t payload = AppendBlock(&framed, std::string(16384, 'z'), Compression::kLz4);
  EXPECT_LT(payload, 1000u);
}

TEST(FormatTest, FooterRoundTripAndFutureVersion) {
  Footer f;
  f.index = {100, 20};
  f.filter = {50, 30};
  f.properties = {80, 11};
  auto decoded = DecodeFooter(EncodeFooter(f), "SST data/a.sst");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->index.offset, 100u);
  EXPECT_EQ(decoded->properties.size, 11u);

  f.format_version = kFormatVersion + 1;
  auto future = DecodeFooter(EncodeFooter(f), "SST data/a.sst");
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.status().code(), ErrorCode::kNotSupported);
  EXPECT_EQ(future.status().message(),
            "SST data/a.sst has format version 2; this build reads <= 1");

  std::string bad = EncodeFooter(Footer{});
  bad[3] ^= 1;
  EXPECT_TRUE(DecodeFooter(bad, "x").status().IsCorruption());
  EXPECT_TRUE(DecodeFooter("short", "x").status().IsCorruption());
}

}  // namespace
}  // namespace cairn::sst
