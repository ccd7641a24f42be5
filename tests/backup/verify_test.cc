// backup verify checks identity, not just presence: every referenced SST is listed with
// the size its SstMeta records, and `deep` reads every SST and checks the footer and
// every block checksum, one block at a time.
#include "backup/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "object_store/fault_object_store.h"
#include "sst/format.h"
#include "storage/cluster.h"
#include "storage/storage_codec.h"
#include "testing/mem_backup_fixture.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// A cluster with two SSTs of different sizes (several data blocks each) and one backup.
class VerifyTest : public MemBackupFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenCluster("verify"));
    auto table = cluster_->CreateTable("t");
    ASSERT_TRUE(table.ok());
    WriteSst(table->id, 0, 600);
    WriteSst(table->id, 600, 1000);
    auto entry = service_->Create("");
    ASSERT_TRUE(entry.ok()) << entry.status().ToString();
    backup_ = *entry;
    ASSERT_EQ(backup_.sst_count, 2u);
    ASSERT_TRUE(ListAll(*objects_, kSstObjectPrefix, [&](const ObjectMeta& m) {
                  ssts_.push_back(m);
                  return Status::OK();
                }).ok());
    ASSERT_EQ(ssts_.size(), 2u);
    ASSERT_NE(ssts_[0].size, ssts_[1].size);
  }
  // Rows [from, to) with 200-byte incompressible values, flushed into one SST.
  void WriteSst(uint32_t table, int from, int to) {
    Random random(from + 1);
    WriteBatch batch;
    for (int i = from; i < to; ++i) {
      std::string value(200, '\0');
      for (char& c : value) c = static_cast<char>(random.Next());
      batch.Put(table, "k" + std::to_string(100000 + i), value);
    }
    ASSERT_TRUE(cluster_->Write(batch, /*wait=*/false).ok());
    clock_.Advance(5);
    ASSERT_TRUE(cluster_->Flush().ok());
  }

  std::string Bytes(const std::string& key) { return *objects_->Get(key); }
  void Replace(const std::string& key, const std::string& bytes) {
    ASSERT_TRUE(objects_->Put(key, bytes).ok());
  }
  // The same object with one byte at `offset` flipped (same size).
  void Flip(const std::string& key, uint64_t offset) {
    std::string bytes = Bytes(key);
    bytes[offset] ^= 0x20;
    Replace(key, bytes);
  }
  sst::Footer FooterOf(const std::string& key) {
    std::string bytes = Bytes(key);
    return *sst::DecodeFooter(bytes.substr(bytes.size() - sst::kFooterSize), key);
  }

  SnapshotEntry backup_;
  std::vector<ObjectMeta> ssts_;  // data/ listing after the backup, by key
};

TEST_F(VerifyTest, SnapshotRecordsEverySstWithItsSize) {
  BackupStorage storage(backups_.get());
  auto snapshot = VerifySnapshot(&storage, backup_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_EQ(snapshot->ssts.size(), 2u);
  uint64_t total = 0;
  for (const SnapshotSst& ref : snapshot->ssts) {
    EXPECT_EQ(ref.size, objects_->Head(SstObjectKey(ref.id))->size);
    total += ref.size;
  }
  EXPECT_EQ(total, backup_.sst_bytes);
}

TEST_F(VerifyTest, SstReplacedByOneOfADifferentSizeIsNamed) {
  // The other SST's bytes: a valid SST, just not the one the snapshot references.
  Replace(ssts_[0].key, Bytes(ssts_[1].key));
  auto verified = service_->Verify(backup_.id);
  ASSERT_FALSE(verified.ok());
  Status s = verified.status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(Contains(s, ssts_[0].key + " is " + std::to_string(ssts_[1].size) +
                              " bytes, the snapshot records " + std::to_string(ssts_[0].size)))
      << s.ToString();
  EXPECT_FALSE(Contains(s, ssts_[1].key)) << s.ToString();
  // Restore checks the same way, before writing anything.
  auto target = *OpenMetaStore(UniqueName("target"));
  BackupStorage storage(backups_.get());
  RestoreOptions options;
  options.snapshot_id = backup_.id;
  auto restored = RestoreSnapshot(&storage, objects_.get(), target.get(), options);
  EXPECT_TRUE(restored.status().IsCorruption()) << restored.status().ToString();
  EXPECT_TRUE((*target->Range("", "", 1)).empty());
}

TEST_F(VerifyTest, FlippedDataByteIsFoundOnlyByDeepVerify) {
  Flip(ssts_[1].key, 10);  // inside data block 0
  auto plain = service_->Verify(backup_.id);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->deep);
  EXPECT_EQ(plain->ssts_checked, 0u);

  auto deep = service_->Verify(backup_.id, /*deep=*/true);
  ASSERT_FALSE(deep.ok());
  Status s = deep.status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(Contains(s, "1 of 2 SSTs are damaged")) << s.ToString();
  EXPECT_TRUE(Contains(s, "SST " + ssts_[1].key + " block at offset 0: block checksum mismatch"))
      << s.ToString();
  EXPECT_FALSE(Contains(s, ssts_[0].key)) << s.ToString();
}

TEST_F(VerifyTest, DeepVerifyChecksFilterIndexAndFooterToo) {
  const std::string key = ssts_[0].key;
  const std::string good = Bytes(key);
  sst::Footer footer = FooterOf(key);
  struct Damage {
    const char* where;
    uint64_t offset;
    std::string expected;
  };
  std::vector<Damage> damages = {
      {"filter", footer.filter.offset + 1,
       "block at offset " + std::to_string(footer.filter.offset)},
      {"properties", footer.properties.offset + 1,
       "block at offset " + std::to_string(footer.properties.offset)},
      {"index", footer.index.offset + 1, "block at offset " + std::to_string(footer.index.offset)},
      {"footer", good.size() - sst::kFooterSize + 1, "footer checksum mismatch"},
      {"last data block", footer.filter.offset - sst::kBlockTrailerSize - 1, "checksum mismatch"}};
  for (const Damage& d : damages) {
    Replace(key, good);
    Flip(key, d.offset);
    EXPECT_TRUE(service_->Verify(backup_.id).ok()) << d.where;
    Status s = VerifySstDeep(objects_.get(), key, good.size(), nullptr);
    EXPECT_TRUE(s.IsCorruption()) << d.where << ": " << s.ToString();
    EXPECT_TRUE(Contains(s, "SST " + key)) << d.where << ": " << s.ToString();
    EXPECT_TRUE(Contains(s, d.expected)) << d.where << ": " << s.ToString();
  }
}

TEST_F(VerifyTest, TruncatedSstFailsBothChecks) {
  const std::string key = ssts_[0].key;
  std::string truncated = Bytes(key).substr(0, ssts_[0].size / 2);
  Replace(key, truncated);
  auto plain = service_->Verify(backup_.id);
  ASSERT_FALSE(plain.ok());
  EXPECT_TRUE(plain.status().IsCorruption()) << plain.status().ToString();
  EXPECT_TRUE(Contains(plain.status(), key + " is " + std::to_string(truncated.size()) +
                                           " bytes, the snapshot records " +
                                           std::to_string(ssts_[0].size)))
      << plain.status().ToString();
  // Read on its own, the truncated object fails on its size and on its missing footer.
  Status sized = VerifySstDeep(objects_.get(), key, ssts_[0].size, nullptr);
  EXPECT_TRUE(sized.IsCorruption()) << sized.ToString();
  EXPECT_TRUE(Contains(sized, "SST " + key)) << sized.ToString();
  Status unsized = VerifySstDeep(objects_.get(), key, truncated.size(), nullptr);
  EXPECT_TRUE(unsized.IsCorruption()) << unsized.ToString();
  EXPECT_TRUE(Contains(unsized, "SST " + key + ": bad magic number")) << unsized.ToString();
}

TEST_F(VerifyTest, MissingSstIsStillNotFound) {
  ASSERT_TRUE(objects_->Delete(ssts_[1].key).ok());
  auto verified = service_->Verify(backup_.id, /*deep=*/true);
  ASSERT_FALSE(verified.ok());
  EXPECT_TRUE(verified.status().IsNotFound()) << verified.status().ToString();
  EXPECT_TRUE(Contains(verified.status(), ssts_[1].key)) << verified.status().ToString();
}

TEST_F(VerifyTest, DeepVerifyOfAHealthyBackupReportsTheCount) {
  std::vector<uint64_t> done;
  auto report =
      service_->Verify(backup_.id, /*deep=*/true, [&](uint64_t n, uint64_t total, uint64_t bytes) {
        EXPECT_EQ(total, 2u);
        EXPECT_GT(bytes, 0u);
        done.push_back(n);
        return Status::OK();
      });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deep);
  EXPECT_EQ(report->sst_count, 2u);
  EXPECT_EQ(report->ssts_checked, 2u);
  EXPECT_EQ(done, (std::vector<uint64_t>{1, 2}));
  // Every byte once, plus the footer and index that TableReader keeps private.
  EXPECT_GT(report->bytes_read, backup_.sst_bytes);
  EXPECT_LT(report->bytes_read, backup_.sst_bytes + backup_.sst_bytes / 4);
}

TEST_F(VerifyTest, DeepVerifyReadsRangesOneBlockAtATime) {
  FaultInjectingObjectStore counted(objects_.get(), /*seed=*/1);
  DeepVerifyStats stats;
  ASSERT_TRUE(VerifySstDeep(&counted, ssts_[0].key, ssts_[0].size, &stats).ok());
  EXPECT_EQ(counted.op_count(ObjectOp::kGet), 0u);  // never the whole object
  // Open: footer + meta section; then the footer and index again; then each data block.
  EXPECT_GT(counted.op_count(ObjectOp::kGetRange), 4u + 3u);
  EXPECT_EQ(stats.entries, 600u);
}

TEST_F(VerifyTest, DeepVerifyNamesEveryDamagedSstAndStopsOnOtherErrors) {
  for (const auto& m : ssts_) Flip(m.key, 10);
  auto deep = service_->Verify(backup_.id, /*deep=*/true);
  ASSERT_FALSE(deep.ok());
  EXPECT_TRUE(Contains(deep.status(), "2 of 2 SSTs are damaged")) << deep.status().ToString();
  for (const auto& m : ssts_) EXPECT_TRUE(Contains(deep.status(), m.key));

  // An unreachable store is not damage: the first failed read ends the walk.
  FaultInjectingObjectStore faulty(objects_.get(), /*seed=*/1);
  faulty.SetFaultyOps({ObjectOp::kGetRange});
  faulty.FailNext(1);
  int calls = 0;
  BackupStorage storage(backups_.get());
  auto snapshot = VerifySnapshot(&storage, backup_);
  ASSERT_TRUE(snapshot.ok());
  Status s = VerifySstsDeep(
      &faulty, snapshot->ssts,
      [&](uint64_t, uint64_t, uint64_t) {
        ++calls;
        return Status::OK();
      },
      nullptr);
  EXPECT_EQ(s.code(), ErrorCode::kIOError) << s.ToString();
  EXPECT_EQ(calls, 0);
}

TEST_F(VerifyTest, ProgressCanStopADeepVerify) {
  int calls = 0;
  auto report = service_->Verify(backup_.id, /*deep=*/true, [&](uint64_t, uint64_t, uint64_t) {
    ++calls;
    return Status::Aborted("cancelled");
  });
  EXPECT_EQ(report.status().code(), ErrorCode::kAborted);
  EXPECT_EQ(calls, 1);
}

// The listing check alone, on hand-made objects: NotFound before size mismatches, and
// at most 5 SSTs named.
TEST(VerifySstsTest, NamesAtMostFiveMismatches) {
  auto objects = *OpenObjectStore("mem://verify-ssts-names");
  std::vector<SnapshotSst> wanted;
  for (uint64_t id = 1; id <= 8; ++id) {
    ASSERT_TRUE(objects->Put(SstObjectKey(id), std::string(100 + id, 'x')).ok());
    wanted.push_back({id, id <= 7 ? uint64_t{1} : uint64_t{108}});  // 7 wrong sizes, 1 right
  }
  uint64_t max_listed = 0;
  Status s = VerifySsts(objects.get(), wanted, &max_listed);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(max_listed, 8u);
  EXPECT_TRUE(Contains(s, "7 SST(s)")) << s.ToString();
  EXPECT_TRUE(Contains(s, SstObjectKey(5) + " is 105 bytes, the snapshot records 1"));
  EXPECT_FALSE(Contains(s, SstObjectKey(6))) << s.ToString();
  EXPECT_TRUE(Contains(s, "; ...")) << s.ToString();

  wanted.push_back({9, 1});
  s = VerifySsts(objects.get(), wanted, &max_listed);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(Contains(s, SstObjectKey(9))) << s.ToString();

  for (auto& ref : wanted) ref.size = 100 + ref.id;
  wanted.pop_back();
  EXPECT_TRUE(VerifySsts(objects.get(), wanted, &max_listed).ok());
}

// The same check on an fs store holding more SSTs than one listing page and than the
// directory snapshot cache's threshold, plus entries that are not SSTs: each kind of
// damage to 1 SST of N is found and named, and the undamaged store passes.
TEST(VerifySstsTest, FindsOneDamagedSstOfThousandsOnFs) {
  testing::TempDir dir;
  auto objects = *OpenObjectStore("fs://" + dir.path().string());
  constexpr uint64_t kSsts = 1200;
  std::vector<SnapshotSst> wanted;
  std::filesystem::create_directories(dir.path() / "data");
  for (uint64_t id = 1; id <= kSsts; ++id) {  // plain files: a Put per SST fsyncs
    std::ofstream(dir.path() / SstObjectKey(id)) << std::string(id % 7 + 1, 's');
    wanted.push_back({id, id % 7 + 1});
  }
  ASSERT_TRUE(objects->Put("data/sub/" + SstObjectKey(5000).substr(5), "x").ok());  // not an SST
  ASSERT_TRUE(objects->Put("data/notes.txt", "x").ok());
  uint64_t max_listed = 0;
  ASSERT_TRUE(VerifySsts(objects.get(), wanted, &max_listed).ok());
  EXPECT_EQ(max_listed, kSsts);

  const uint64_t victim = 1111;  // in the second listing page
  const std::string key = SstObjectKey(victim);
  const std::string good = *objects->Get(key);
  ASSERT_TRUE(objects->Put(key, good.substr(0, good.size() - 1)).ok());  // truncated
  Status s = VerifySsts(objects.get(), wanted, &max_listed);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(Contains(s, "1 SST(s)")) << s.ToString();
  EXPECT_TRUE(Contains(s, key + " is " + std::to_string(good.size() - 1) +
                              " bytes, the snapshot records " + std::to_string(good.size())))
      << s.ToString();

  ASSERT_TRUE(objects->Put(key, good + "grown").ok());  // another size
  s = VerifySsts(objects.get(), wanted, &max_listed);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(Contains(s, key + " is " + std::to_string(good.size() + 5) + " bytes"));

  ASSERT_TRUE(objects->Delete(key).ok());  // missing
  s = VerifySsts(objects.get(), wanted, &max_listed);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(Contains(s, "1 SST(s) missing")) << s.ToString();
  EXPECT_TRUE(Contains(s, key)) << s.ToString();
  EXPECT_FALSE(Contains(s, SstObjectKey(victim + 1))) << s.ToString();

  ASSERT_TRUE(objects->Put(key, good).ok());
  EXPECT_TRUE(VerifySsts(objects.get(), wanted, &max_listed).ok());
}

}  // namespace
}  // namespace cairn
