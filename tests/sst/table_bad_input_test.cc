// Regression tests for SST objects whose damage passes every checksum (found by reading
// the reader and by fuzz/sst_fuzzer.cc): handles whose offset + size wraps around, and
// LZ4 blocks whose header claims a huge decompressed size. Each must be a Corruption
// naming the object, never an exception, a wild read or a giant allocation.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <limits>

#include "common/coding.h"
#include "object_store/mem_object_store.h"
#include "object_store/object_store.h"
#include "sst/block_builder.h"
#include "sst/format.h"
#include "sst/internal_key.h"
#include "sst/properties.h"
#include "sst/table_builder.h"
#include "sst/table_reader.h"

namespace cairn::sst {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

class TableBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenObjectStore("mem://sst-bad-input-test");
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
  }
  void TearDown() override { DropMemObjectStore("sst-bad-input-test"); }

  // A valid SST with a few entries; returns its bytes.
  std::string BuildValid() {
    auto writer = store_->NewWriter("data/v.sst");
    EXPECT_TRUE(writer.ok());
    TableBuilder builder(std::move(writer).value(), "SST data/v.sst");
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(
          builder.Add(MakeInternalKey(1, "k" + std::to_string(100 + i), 5, ValueKind::kPut), "v")
              .ok());
    }
    EXPECT_TRUE(builder.Finish().ok());
    return *store_->Get("data/v.sst");
  }

  // `bytes` with its footer replaced by `footer` (checksum recomputed).
  static std::string WithFooter(std::string bytes, const Footer& footer) {
    bytes.replace(bytes.size() - kFooterSize, kFooterSize, EncodeFooter(footer));
    return bytes;
  }

  Status Open(const std::string& bytes) {
    EXPECT_TRUE(store_->Put("data/x.sst", bytes).ok());
    return TableReader::Open(store_.get(), "data/x.sst", 1, nullptr).status();
  }

  std::unique_ptr<ObjectStore> store_;
};

TEST_F(TableBadInputTest, FooterHandleWhoseEndWrapsIsCorruption) {
  // Before the fix: offset + size + trailer wrapped to a small number, passed the bounds
  // check, and substr() threw std::out_of_range, terminating a compaction thread.
  std::string valid = BuildValid();
  Footer footer = *DecodeFooter(valid.substr(valid.size() - kFooterSize), "x");
  for (BlockHandle* h : {&footer.index, &footer.properties}) {
    Footer bad = footer;
    BlockHandle* target = h == &footer.index ? &bad.index : &bad.properties;
    target->offset = 1ull << 63;
    target->size = (1ull << 63) - 3;  // offset + size + 9 == 6 (mod 2^64)
    Status s = Open(WithFooter(valid, bad));
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find("SST data/x.sst: footer points outside the object"),
              std::string::npos)
        << s.message();
  }
  // The filter handle sets where the metadata read starts: past the end it must not
  // turn into a huge read length.
  Footer bad = footer;
  bad.filter.offset = kMax - 4;
  bad.filter.size = 0;
  Status s = Open(WithFooter(valid, bad));
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("footer points outside the object"), std::string::npos);
}

TEST_F(TableBadInputTest, IndexEntryWhoseEndWrapsIsCorruptionOnRead) {
  // A hand-built SST whose only index entry points at offset 2^64 - 5.
  std::string file;
  BlockBuilder index;
  std::string handle;
  EncodeBlockHandle(&handle, BlockHandle{kMax - 4, 0});
  index.Add(MakeInternalKey(1, "k", 1, ValueKind::kPut), handle);
  Footer footer;
  footer.filter = {file.size(), AppendBlock(&file, std::string(9, '\0'), Compression::kNone)};
  TableProperties props;
  footer.properties = {file.size(),
                       AppendBlock(&file, EncodeProperties(props), Compression::kNone)};
  footer.index = {file.size(), AppendBlock(&file, index.Finish(), Compression::kNone)};
  file += EncodeFooter(footer);
  ASSERT_TRUE(store_->Put("data/w.sst", file).ok());
  auto reader = TableReader::Open(store_.get(), "data/w.sst", 2, nullptr);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto it = (*reader)->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  ASSERT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_NE(it->status().message().find("block handle points outside the object"),
            std::string::npos)
      << it->status().message();
}

// payload + trailer for an LZ4 block whose header claims `raw_size` bytes.
std::string Lz4BlockClaiming(uint64_t raw_size, std::string_view compressed) {
  std::string block;
  PutVarint64(&block, raw_size);
  block.append(compressed);
  block.push_back(static_cast<char>(Compression::kLz4));
  PutFixed64(&block, XXH64(block.data(), block.size(), 0));
  return block;
}

TEST(Lz4BlockTest, HeaderClaimingAGibibyteIsCorruptionWithoutAllocatingIt) {
  // Before the fix: any size up to 1 GiB was allocated (and zeroed) before LZ4 looked
  // at the 4 bytes of data.
  for (uint64_t claimed : {uint64_t{1} << 30, uint64_t{1} << 20, (uint64_t{1} << 30) + 1, kMax}) {
    auto raw = DecodeBlock(Lz4BlockClaiming(claimed, "\x10\x61\x00\x00"), "SST x block at 0");
    ASSERT_FALSE(raw.ok()) << claimed;
    EXPECT_TRUE(raw.status().IsCorruption());
    EXPECT_EQ(raw.status().message(), "SST x block at 0: bad compressed block header");
  }
}

TEST(Lz4BlockTest, HighlyCompressibleBlocksStillDecode) {
  // The size bound is LZ4's own expansion limit: the best case must still pass.
  for (size_t n : {size_t{100}, size_t{64} << 10, size_t{4} << 20}) {
    std::string raw(n, '\0');
    std::string block;
    uint64_t payload = AppendBlock(&block, raw, Compression::kLz4);
    ASSERT_EQ(static_cast<uint8_t>(block[payload]), static_cast<uint8_t>(Compression::kLz4));
    auto decoded = DecodeBlock(block, "b");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, raw);
  }
}

}  // namespace
}  // namespace cairn::sst
