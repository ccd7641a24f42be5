// Meta-store value encodings of the engine.
#include <gtest/gtest.h>

#include "storage/storage_codec.h"

namespace cairn {
namespace {

TEST(StorageCodecTest, SstMetaRoundTrip) {
  SstMeta m;
  m.object_id = 77;
  m.level = 1;
  m.smallest_key = std::string("\0\0\0\1a", 5);
  m.largest_key = "zz";
  m.min_epoch = 5;
  m.max_epoch = 9;
  m.file_size = 1234;
  m.entry_count = 10;
  m.table_ids = {1, 4};
  auto d = DecodeSstMeta(EncodeSstMeta(m));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->object_id, 77u);
  EXPECT_EQ(d->level, 1);
  EXPECT_EQ(d->smallest_key, m.smallest_key);
  EXPECT_EQ(d->largest_key, "zz");
  EXPECT_EQ(d->max_epoch, 9u);
  EXPECT_EQ(d->file_size, 1234u);
  EXPECT_EQ(d->table_ids, m.table_ids);
  std::string enc = EncodeSstMeta(m);
  EXPECT_TRUE(DecodeSstMeta(enc.substr(0, enc.size() - 1)).status().IsCorruption());
  EXPECT_TRUE(DecodeSstMeta("\x07garbage").status().IsCorruption());
}

TEST(StorageCodecTest, HeaderAndTableRecordRoundTrip) {
  auto h = DecodeVersionHeader(EncodeVersionHeader(VersionHeader{3, 1ull << 50}));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->version_id, 3u);
  EXPECT_EQ(h->max_committed_epoch, 1ull << 50);
  TableInfo t{5, "orders", 100, 200};
  auto d = DecodeTableRecord(EncodeTableRecord(t));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id, 5u);
  EXPECT_EQ(d->name, "orders");
  EXPECT_EQ(d->created_epoch, 100u);
  EXPECT_EQ(d->dropped_epoch, 200u);
  EXPECT_TRUE(DecodeTableRecord("").status().IsCorruption());
}

TEST(StorageCodecTest, SstObjectKeys) {
  EXPECT_EQ(SstObjectKey(0x1234), "data/0000000000001234.sst");
  uint64_t id = 0;
  EXPECT_TRUE(ParseSstObjectKey("data/00000000000000ff.sst", &id));
  EXPECT_EQ(id, 255u);
  EXPECT_FALSE(ParseSstObjectKey("data/00000000000000FF.sst", &id));
  EXPECT_FALSE(ParseSstObjectKey("data/ff.sst", &id));
  EXPECT_FALSE(ParseSstObjectKey("backup/00000000000000ff.sst", &id));
}

}  // namespace
}  // namespace cairn
