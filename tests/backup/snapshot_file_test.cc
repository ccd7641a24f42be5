#include "backup/snapshot_file.h"

#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <map>

#include "common/coding.h"
#include "common/random.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {
namespace {

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenObjectStore("mem://snapshot-file-" + std::to_string(counter_++));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  SnapshotHeader Header() {
    SnapshotHeader h;
    h.snapshot_id = 7;
    h.meta_revision = 99;
    h.changelog_seq = 55;
    h.created_ms = 1'700'000'000'000;
    h.cluster_id = "cluster-a";
    return h;
  }

  SnapshotFileInfo Write(const std::map<std::string, std::string>& records) {
    auto writer = SnapshotWriter::Create(store_.get(), "snapshots/7.snap", Header());
    EXPECT_TRUE(writer.ok());
    for (const auto& [k, v] : records) EXPECT_TRUE((*writer)->Add(k, v).ok());
    auto info = (*writer)->Finish();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return *info;
  }

  Status Read(std::map<std::string, std::string>* out, SnapshotHeader* header) {
    SnapshotFileInfo info;
    return ReadSnapshot(store_.get(), "snapshots/7.snap", header, &info,
                        [&](std::string_view k, std::string_view v) {
                          (*out)[std::string(k)] = std::string(v);
                          return Status::OK();
                        });
  }

  void Rewrite(const std::function<void(std::string*)>& damage) {
    std::string bytes = *store_->Get("snapshots/7.snap");
    damage(&bytes);
    ASSERT_TRUE(store_->Put("snapshots/7.snap", bytes).ok());
  }

  static inline int counter_ = 0;
  std::unique_ptr<ObjectStore> store_;
};

std::map<std::string, std::string> RandomRecords(uint64_t seed, int n) {
  Random rnd(seed);
  std::map<std::string, std::string> records;
  for (int i = 0; i < n; ++i) records[rnd.Bytes(1 + rnd.Uniform(40))] = rnd.Bytes(rnd.Uniform(300));
  records[std::string("bin\0\xff", 5)] = std::string("\0\x01\x02", 3);
  return records;
}

TEST_F(SnapshotFileTest, RoundTripsRecordsAndHeader) {
  auto records = RandomRecords(1, 20000);  // several 1 MiB compression chunks
  SnapshotFileInfo info = Write(records);
  EXPECT_EQ(info.record_count, records.size());
  std::map<std::string, std::string> read;
  SnapshotHeader header;
  ASSERT_TRUE(Read(&read, &header).ok());
  EXPECT_EQ(read, records);
  EXPECT_EQ(header.snapshot_id, 7u);
  EXPECT_EQ(header.meta_revision, 99);
  EXPECT_EQ(header.changelog_seq, 55u);
  EXPECT_EQ(header.cluster_id, "cluster-a");
  auto only_header = ReadSnapshotHeader(store_.get(), "snapshots/7.snap");
  ASSERT_TRUE(only_header.ok());
  EXPECT_EQ(only_header->cluster_id, "cluster-a");
}

TEST_F(SnapshotFileTest, EmptySnapshotIsValid) {
  Write({});
  std::map<std::string, std::string> read;
  SnapshotHeader header;
  EXPECT_TRUE(Read(&read, &header).ok());
  EXPECT_TRUE(read.empty());
}

TEST_F(SnapshotFileTest, EveryFlippedByteIsDetected) {
  auto records = RandomRecords(2, 300);
  Write(records);
  std::string good = *store_->Get("snapshots/7.snap");
  for (size_t pos = 0; pos < good.size(); pos += std::max<size_t>(1, good.size() / 97)) {
    std::string bad = good;
    bad[pos] ^= 0x5a;
    ASSERT_TRUE(store_->Put("snapshots/7.snap", bad).ok());
    std::map<std::string, std::string> read;
    SnapshotHeader header;
    Status s = Read(&read, &header);
    EXPECT_FALSE(s.ok()) << "flip at " << pos << " went undetected";
    EXPECT_NE(s.message().find("snapshots/7.snap"), std::string::npos) << s.ToString();
  }
}

TEST_F(SnapshotFileTest, TruncationIsCorruption) {
  Write(RandomRecords(3, 300));
  for (size_t keep : {0ul, 5ul, 20ul, 100ul}) {
    Rewrite([&](std::string* b) { b->resize(std::min(b->size(), keep)); });
    std::map<std::string, std::string> read;
    SnapshotHeader header;
    Status s = Read(&read, &header);
    EXPECT_TRUE(s.IsCorruption()) << keep << ": " << s.ToString();
  }
}

TEST_F(SnapshotFileTest, FutureFormatVersionIsRejectedClearly) {
  Write(RandomRecords(4, 10));
  Rewrite([](std::string* b) {
    std::string v;
    PutFixed32(&v, kSnapshotFormatVersion + 1);
    b->replace(8, 4, v);
  });
  std::map<std::string, std::string> read;
  SnapshotHeader header;
  Status s = Read(&read, &header);
  EXPECT_EQ(s.code(), ErrorCode::kNotSupported);
  EXPECT_NE(s.message().find("format version 2"), std::string::npos) << s.message();
}

TEST_F(SnapshotFileTest, MissingFileIsNotFound) {
  std::map<std::string, std::string> read;
  SnapshotHeader header;
  EXPECT_TRUE(Read(&read, &header).IsNotFound());
}

TEST_F(SnapshotFileTest, AbortLeavesNothing) {
  auto writer = SnapshotWriter::Create(store_.get(), "snapshots/7.snap", Header());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Add("k", "v").ok());
  (*writer)->Abort();
  EXPECT_TRUE(store_->Head("snapshots/7.snap").status().IsNotFound());
}

// The header of a written (empty) snapshot followed by `stream` as its zstd-compressed
// record stream and a valid trailer claiming `count` records: damage that no checksum
// catches, because the checksum is computed over it.
std::string WithRecordStream(std::string_view empty_file, std::string_view stream, uint64_t count) {
  std::string out(empty_file.substr(0, 16 + DecodeFixed32(empty_file.data() + 12)));
  std::string z(ZSTD_compressBound(stream.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), stream.data(), stream.size(), 1));
  out += z;
  PutFixed64(&out, count);
  PutFixed64(&out, XXH64(out.data(), out.size(), 0));
  return out + "CAIRNEND";
}

TEST_F(SnapshotFileTest, LengthPrefixNoMetaStoreHoldsIsCorruptionWithoutBuffering) {
  // Before the fix the record parser waited for a 1 TiB key to complete, buffering the
  // whole rest of the (highly compressible, so arbitrarily long) stream in memory.
  Write({});
  std::string empty = *store_->Get("snapshots/7.snap");
  struct Case {
    std::string stream;
    std::string error;
  };
  std::string huge_key, huge_value, endless_varint(16, '\xff');
  PutVarint64(&huge_key, 1ull << 40);
  PutLengthPrefixed(&huge_value, "catalog/t");
  PutVarint64(&huge_value, kMaxMetaValueSize + 1);
  for (const Case& c : {Case{huge_key, "record length 1099511627776 out of range"},
                        Case{huge_value, "record length 33554433 out of range"},
                        Case{endless_varint, "malformed record length"}}) {
    ASSERT_TRUE(store_
                    ->Put("snapshots/7.snap",
                          WithRecordStream(empty, c.stream + std::string(8 << 20, 'x'), 1))
                    .ok());
    std::map<std::string, std::string> read;
    SnapshotHeader header;
    Status s = Read(&read, &header);
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_EQ(s.message(), "snapshot snapshots/7.snap: " + c.error);
  }
}

TEST_F(SnapshotFileTest, RecordsSpanningDecompressionChunksRead) {
  // The length check must not refuse a legitimate record that arrives in pieces.
  std::map<std::string, std::string> records = {
      {std::string(kMaxMetaKeySize, 'k'), "v"}, {"big", std::string(3 << 20, 'x')}, {"small", "y"}};
  Write(records);
  std::map<std::string, std::string> read;
  SnapshotHeader header;
  ASSERT_TRUE(Read(&read, &header).ok());
  EXPECT_EQ(read, records);
}

// Issue 12: the header carries the timeline; files from before (no timeline after the
// cluster id) read as timeline 1, and their records are unchanged.
TEST_F(SnapshotFileTest, HeaderCarriesTheTimelineAndOldHeadersReadAsTimelineOne) {
  SnapshotHeader h = Header();
  h.timeline = 3;
  {
    auto writer = SnapshotWriter::Create(store_.get(), "snapshots/7.snap", h);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add("a", "1").ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  std::map<std::string, std::string> records;
  SnapshotHeader read;
  ASSERT_TRUE(Read(&records, &read).ok());
  EXPECT_EQ(read.timeline, 3u);
  EXPECT_TRUE(read.timeline_recorded);
  auto only_header = ReadSnapshotHeader(store_.get(), "snapshots/7.snap");
  ASSERT_TRUE(only_header.ok());
  EXPECT_EQ(only_header->timeline, 3u);

  // Rebuilds the file with header body `body` (and a checksum over the new bytes).
  auto with_body = [&](const std::function<void(std::string*)>& edit) {
    Rewrite([&](std::string* bytes) {
      uint32_t header_len = DecodeFixed32(bytes->data() + 12);
      std::string body = bytes->substr(16, header_len);
      edit(&body);
      std::string rest = bytes->substr(16 + header_len);
      std::string out = bytes->substr(0, 12);
      PutFixed32(&out, static_cast<uint32_t>(body.size()));
      out += body;
      out += rest.substr(0, rest.size() - 24 + 8);  // stream + record count
      uint64_t hash = XXH64(out.data(), out.size(), 0);
      PutFixed64(&out, hash);
      out += rest.substr(rest.size() - 8);  // end magic
      *bytes = out;
    });
  };
  with_body([](std::string* body) { body->pop_back(); });  // the timeline varint (3)
  records.clear();
  SnapshotHeader old;
  Status s = Read(&records, &old);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(old.timeline, 1u);
  EXPECT_FALSE(old.timeline_recorded);
  EXPECT_EQ(records.at("a"), "1");
  EXPECT_EQ(old.cluster_id, "cluster-a");

  with_body([](std::string* body) { body->push_back(static_cast<char>(0x80)); });
  s = Read(&records, &old);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("timeline"), std::string::npos) << s.ToString();
  with_body([](std::string* body) {
    body->pop_back();
    body->push_back(0);  // timeline 0
  });
  s = Read(&records, &old);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace cairn
