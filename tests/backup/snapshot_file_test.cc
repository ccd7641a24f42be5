#include "backup/snapshot_file.h"

#include <gtest/gtest.h>

#include <map>

#include "common/coding.h"
#include "common/random.h"
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

}  // namespace
}  // namespace cairn
