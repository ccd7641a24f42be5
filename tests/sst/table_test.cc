// SST build + read through an ObjectStore: round trip, corruption, truncation,
// future format versions, missing objects, and the block cache.
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "common/random.h"
#include "object_store/mem_object_store.h"
#include "object_store/object_store.h"
#include "sst/internal_key.h"
#include "sst/table_builder.h"
#include "sst/table_reader.h"

namespace cairn::sst {
namespace {

using Entries = std::map<std::string, std::string, InternalKeyLess>;

class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    name_ = "sst-table-test-" + std::to_string(counter++);
    auto store = OpenObjectStore("mem://" + name_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override { DropMemObjectStore(name_); }

  Entries RandomEntries(uint64_t seed, int n) {
    Random rnd(seed);
    Entries entries;
    for (int i = 0; i < n; ++i) {
      auto kind = rnd.OneIn(5) ? ValueKind::kDelete : ValueKind::kPut;
      entries[MakeInternalKey(1 + rnd.Uniform(3), rnd.Bytes(4 + rnd.Uniform(12)),
                              1 + rnd.Uniform(50), kind)] =
          kind == ValueKind::kPut ? rnd.Bytes(rnd.Uniform(200)) : "";
    }
    return entries;
  }

  // Flips one bit a quarter into the object: inside the data blocks.
  void FlipByteInDataBlocks(const std::string& key) {
    auto bytes = store_->Get(key);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    std::string damaged = *bytes;
    damaged[damaged.size() / 4] ^= 0x01;
    ASSERT_TRUE(store_->Put(key, damaged).ok());
  }

  void Build(const std::string& key, const Entries& entries, TableBuilderOptions options = {}) {
    auto writer = store_->NewWriter(key);
    ASSERT_TRUE(writer.ok());
    TableBuilder builder(std::move(writer).value(), "SST " + key, options);
    for (const auto& [k, v] : entries) ASSERT_TRUE(builder.Add(k, v).ok());
    ASSERT_TRUE(builder.Finish().ok());
  }

  std::string name_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(TableTest, RoundTripScanSeekAndProperties) {
  Entries entries = RandomEntries(1, 5000);
  Build("data/0000000000000001.sst", entries);
  BlockCache cache(1 << 20);
  auto reader = TableReader::Open(store_.get(), "data/0000000000000001.sst", 1, &cache);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();

  const TableProperties& props = (*reader)->properties();
  EXPECT_EQ(props.entry_count, entries.size());
  EXPECT_EQ(props.smallest_key, entries.begin()->first);
  EXPECT_EQ(props.largest_key, entries.rbegin()->first);
  EXPECT_EQ(props.table_ids, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_GT(props.data_block_count, 10u);

  auto it = (*reader)->NewIterator();
  it->SeekToFirst();
  for (const auto& [k, v] : entries) {
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), k);
    ASSERT_EQ(it->value(), v);
    it->Next();
  }
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());

  Random rnd(7);
  for (int i = 0; i < 500; ++i) {
    std::string target = MakeSeekKey(1 + rnd.Uniform(3), rnd.Bytes(3), rnd.Uniform(60));
    auto expected = entries.lower_bound(target);
    it->Seek(target);
    if (expected == entries.end()) {
      EXPECT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), expected->first);
    }
  }
  for (const auto& [k, v] : entries) EXPECT_TRUE((*reader)->MayContain(UserPart(k)));
  EXPECT_GT(cache.hits(), 0u);
}

// The point lookup (no iterator) lands where an iterator's Seek lands, for targets
// between keys, on keys, before the first and past the last, across many small blocks.
TEST_F(TableTest, SeekFirstMatchesIteratorSeek) {
  Entries entries = RandomEntries(3, 4000);
  TableBuilderOptions options;
  options.block_size = 512;
  options.restart_interval = 4;
  Build("data/0000000000000003.sst", entries, options);
  BlockCache cache(1 << 20);
  auto reader = TableReader::Open(store_.get(), "data/0000000000000003.sst", 3, &cache);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_GT((*reader)->properties().data_block_count, 100u);
  Random rnd(11);
  std::vector<std::string> targets = {"", MakeSeekKey(0, "", 0), MakeSeekKey(9, "zz", 1)};
  for (const auto& [k, v] : entries) {
    if (rnd.OneIn(8)) targets.push_back(k);
  }
  for (int i = 0; i < 1000; ++i) {
    targets.push_back(MakeSeekKey(1 + rnd.Uniform(3), rnd.Bytes(rnd.Uniform(6)), rnd.Uniform(60)));
  }
  auto it = (*reader)->NewIterator();
  for (const std::string& target : targets) {
    std::string key = "stale", value = "stale";
    auto found = (*reader)->SeekFirst(target, &key, &value);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    it->Seek(target);
    ASSERT_EQ(*found, it->Valid());
    auto expected = entries.lower_bound(target);
    ASSERT_EQ(*found, expected != entries.end());
    if (!*found) continue;
    EXPECT_EQ(key, expected->first);
    EXPECT_EQ(value, expected->second);
  }
}

TEST_F(TableTest, SeekFirstInDamagedBlockIsCorruption) {
  Entries entries = RandomEntries(4, 3000);
  Build("data/d.sst", entries);
  FlipByteInDataBlocks("data/d.sst");
  auto reader = TableReader::Open(store_.get(), "data/d.sst", 4, nullptr);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  int corrupt = 0;
  for (const auto& [k, v] : entries) {
    std::string key, value;
    auto found = (*reader)->SeekFirst(k, &key, &value);
    if (!found.ok()) {
      EXPECT_TRUE(found.status().IsCorruption()) << found.status().ToString();
      ++corrupt;
      continue;
    }
    ASSERT_TRUE(*found);
    ASSERT_EQ(key, k);  // never wrong data
    ASSERT_EQ(value, v);
  }
  EXPECT_GT(corrupt, 0);
}

TEST_F(TableTest, IteratorWithoutFillCacheReadsEverythingAndCachesNothing) {
  Entries entries = RandomEntries(2, 3000);
  Build("data/0000000000000002.sst", entries);
  BlockCache cache(1 << 20);
  auto reader = TableReader::Open(store_.get(), "data/0000000000000002.sst", 2, &cache);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto it = (*reader)->NewIterator(/*fill_cache=*/false);
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n)
    ASSERT_EQ(it->value(), entries[std::string(it->key())]);
  EXPECT_EQ(n, entries.size());
  EXPECT_EQ(cache.usage(), 0u);
  // A filling iterator caches the blocks, and a non-filling one then hits them.
  auto filling = (*reader)->NewIterator();
  for (filling->SeekToFirst(); filling->Valid(); filling->Next()) {
  }
  EXPECT_GT(cache.usage(), 0u);
  uint64_t hits = cache.hits();
  it->SeekToFirst();
  EXPECT_GT(cache.hits(), hits);
}

TEST_F(TableTest, EmptyTableHasNoEntries) {
  Build("data/e.sst", {});
  auto reader = TableReader::Open(store_.get(), "data/e.sst", 9, nullptr);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto it = (*reader)->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(TableTest, FlippedByteInDataBlockIsCorruptionNamingObjectAndOffset) {
  Entries entries = RandomEntries(2, 3000);
  Build("data/c.sst", entries);
  FlipByteInDataBlocks("data/c.sst");

  auto reader = TableReader::Open(store_.get(), "data/c.sst", 2, nullptr);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto it = (*reader)->NewIterator();
  size_t seen = 0;
  auto expected = entries.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected, ++seen) {
    ASSERT_EQ(it->key(), expected->first);  // never wrong data before the error
    ASSERT_EQ(it->value(), expected->second);
  }
  EXPECT_LT(seen, entries.size());
  ASSERT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_NE(it->status().message().find("SST data/c.sst block at offset"), std::string::npos)
      << it->status().message();
}

TEST_F(TableTest, FlippedByteInIndexIsCorruptionAtOpen) {
  Build("data/i.sst", RandomEntries(3, 2000));
  std::string bytes = *store_->Get("data/i.sst");
  bytes[bytes.size() - kFooterSize - 20] ^= 0x40;  // the index block precedes the footer
  ASSERT_TRUE(store_->Put("data/i.sst", bytes).ok());
  auto reader = TableReader::Open(store_.get(), "data/i.sst", 3, nullptr);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().IsCorruption()) << reader.status().ToString();
}

TEST_F(TableTest, TruncatedObjectIsCorruption) {
  Build("data/t.sst", RandomEntries(4, 2000));
  std::string bytes = *store_->Get("data/t.sst");
  for (size_t keep : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    ASSERT_TRUE(store_->Put("data/t.sst", bytes.substr(0, keep)).ok());
    auto reader = TableReader::Open(store_.get(), "data/t.sst", 4, nullptr);
    ASSERT_FALSE(reader.ok()) << keep;
    EXPECT_TRUE(reader.status().IsCorruption()) << reader.status().ToString();
    EXPECT_NE(reader.status().message().find("data/t.sst"), std::string::npos);
  }
}

TEST_F(TableTest, FutureFormatVersionIsRefusedClearly) {
  TableBuilderOptions options;
  options.format_version = kFormatVersion + 1;
  Build("data/f.sst", RandomEntries(5, 10), options);
  auto reader = TableReader::Open(store_.get(), "data/f.sst", 5, nullptr);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kNotSupported);
  EXPECT_EQ(reader.status().message(),
            "SST data/f.sst has format version 2; this build reads <= 1");
}

TEST_F(TableTest, MissingObjectIsNotFoundNamingIt) {
  auto reader = TableReader::Open(store_.get(), "data/0000000000000abc.sst", 0xabc, nullptr);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().IsNotFound());
  EXPECT_NE(reader.status().message().find("data/0000000000000abc.sst"), std::string::npos);
}

TEST_F(TableTest, ObjectDeletedAfterOpenIsNotFoundOnBlockRead) {
  Build("data/d.sst", RandomEntries(6, 2000));
  auto reader = TableReader::Open(store_.get(), "data/d.sst", 6, nullptr);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(store_->Delete("data/d.sst").ok());
  auto it = (*reader)->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsNotFound()) << it->status().ToString();
  EXPECT_NE(it->status().message().find("data/d.sst"), std::string::npos);
}

TEST_F(TableTest, OutOfOrderAddIsRejected) {
  auto writer = store_->NewWriter("data/o.sst");
  ASSERT_TRUE(writer.ok());
  TableBuilder builder(std::move(writer).value(), "SST data/o.sst");
  ASSERT_TRUE(builder.Add(MakeInternalKey(1, "b", 1, ValueKind::kPut), "x").ok());
  EXPECT_EQ(builder.Add(MakeInternalKey(1, "a", 1, ValueKind::kPut), "x").code(),
            ErrorCode::kInvalidArgument);
  builder.Abandon();
  EXPECT_TRUE(store_->Head("data/o.sst").status().IsNotFound());
}

TEST(BlockCacheTest, EvictsLeastRecentlyUsedOverBudget) {
  BlockCache cache(3000);
  auto make = [](size_t n) {
    std::string raw(n, 'x');
    raw.append(std::string("\0\0\0\0\1\0\0\0", 8));
    return *Block::Parse(raw, "b");
  };
  cache.Insert(1, 0, make(992));
  cache.Insert(1, 1000, make(992));
  ASSERT_NE(cache.Lookup(1, 0), nullptr);  // 1/0 is now most recent
  cache.Insert(2, 0, make(1992));          // over budget: evicts 1/1000
  EXPECT_EQ(cache.Lookup(1, 1000), nullptr);
  EXPECT_NE(cache.Lookup(2, 0), nullptr);
  EXPECT_LE(cache.usage(), 3000u);
  cache.EraseObject(2);
  EXPECT_EQ(cache.Lookup(2, 0), nullptr);
}

}  // namespace
}  // namespace cairn::sst
