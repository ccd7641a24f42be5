// Backups through the encrypting wrapper on the real engine, in process (issue 17): the
// snapshot file is sealed and its key id recorded, verify and restore read it with the
// key and refuse without it, and the key checks of backup/backup_encryption.h.
#include "backup/backup_encryption.h"

#include <gtest/gtest.h>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "storage/cluster.h"

namespace cairn {
namespace {

std::string UniqueName(const char* what) {
  return std::string("mem://backup-encryption-") + what + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

EncryptionKeyring Keys(std::vector<char> fills) {
  EncryptionKeyring keys;
  for (char c : fills) keys.Add(*EncryptionKey::FromBytes(std::string(32, c)));
  return keys;
}

std::string Id(char fill) { return EncryptionKeyId(std::string(32, fill)); }

ClusterOptions Quiet(Clock* clock) {
  ClusterOptions options;
  options.clock = clock;
  options.background_threads = false;
  return options;
}

class BackupEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    objects_ = *OpenObjectStore(UniqueName("data"));
    meta_ = *OpenMetaStore(UniqueName("meta"));
    writer_ = std::make_unique<MetaWriter>(meta_.get(), &clock_);
    ASSERT_TRUE(writer_->Open().ok());
    Random random(7);
    ASSERT_TRUE(EnsureClusterId(writer_.get(), &random).ok());
    cluster_ = *Cluster::Open(writer_.get(), objects_.get(), Quiet(&clock_));
    ASSERT_TRUE(cluster_->CreateTable("secret-table").ok());
    WriteBatch batch;
    for (int i = 0; i < 500; ++i) {
      batch.Put(cluster_->GetTable("secret-table")->id, "key-" + std::to_string(i), "value");
    }
    ASSERT_TRUE(cluster_->Write(batch, /*wait=*/false).ok());
    clock_.Advance(5);
    ASSERT_TRUE(cluster_->Flush().ok());
  }
  void TearDown() override { EXPECT_TRUE(cluster_->Close().ok()); }

  // The backup storage, through a wrapper holding `keys`.
  std::unique_ptr<EncryptedObjectStore> Storage(std::vector<char> keys) {
    return EncryptBackupStorage(*OpenObjectStore(UniqueName("backup")), Keys(keys));
  }

  ManualClock clock_;
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<MetaWriter> writer_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(BackupEncryptionTest, BackupIsSealedAndRestoresOnlyWithItsKey) {
  auto storage = Storage({'a'});
  BackupService service(writer_.get(), objects_.get(), storage.get(), &clock_);
  auto entry = service.Create("r");
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(entry->key_id, Id('a'));
  std::string stored = *storage->base()->Get(entry->file);
  EXPECT_TRUE(stored.starts_with(kEncryptionMagic));
  EXPECT_EQ(stored.find("secret-table"), std::string::npos);
  EXPECT_EQ(stored.size(), SealedSize(entry->file_size, kDefaultEncryptionChunkSize));
  auto listed = service.List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->snapshots.size(), 1u);
  EXPECT_EQ(listed->snapshots[0].key_id, Id('a')) << "the manifest keeps the key id";
  auto verified = service.Verify(entry->id);
  EXPECT_TRUE(verified.ok()) << verified.status().ToString();

  RestoreOptions options;
  options.snapshot_id = entry->id;
  options.force = true;
  for (auto keys : {std::vector<char>{}, std::vector<char>{'b'}}) {
    auto reader = Storage(keys);
    BackupStorage backups(reader.get());
    EXPECT_EQ(CheckBackupKey(*entry, reader->keys()).message(),
              "backup " + std::to_string(entry->id) + " is encrypted with key " + Id('a') +
                  "; pass its key file with --backup-encryption-key-file");
    auto target = *OpenMetaStore(UniqueName("refused"));
    auto plan = RestoreSnapshot(&backups, objects_.get(), target.get(), options);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), ErrorCode::kFailedPrecondition) << plan.status().ToString();
    EXPECT_NE(plan.status().message().find("encrypted with key " + Id('a')), std::string::npos);
    EXPECT_TRUE(target->Range("", "", 10)->empty()) << "a refused restore wrote";
  }
  auto reader = Storage({'b', 'a'});
  BackupStorage backups(reader.get());
  auto target = *OpenMetaStore(UniqueName("restored"));
  auto plan = RestoreSnapshot(&backups, objects_.get(), target.get(), options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  MetaWriter restored_writer(target.get(), &clock_);
  ASSERT_TRUE(restored_writer.Open().ok());
  auto restored = Cluster::Open(&restored_writer, objects_.get(), Quiet(&clock_));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  auto table = (*restored)->GetTable("secret-table");
  ASSERT_TRUE(table.ok());
  auto value = (*restored)->Get(table->id, "key-499");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, std::optional<std::string>("value"));
  EXPECT_TRUE((*restored)->Close().ok());
}

TEST_F(BackupEncryptionTest, ServerCheckLooksAtTheNewestBackup) {
  Manifest manifest;
  EXPECT_TRUE(CheckBackupKeys(manifest, Keys({})).ok()) << "no backups";
  SnapshotEntry plain, sealed;
  plain.id = 1;
  sealed.id = 2;
  sealed.key_id = Id('a');
  manifest.snapshots = {plain};
  EXPECT_TRUE(CheckBackupKeys(manifest, Keys({})).ok());
  EXPECT_TRUE(CheckBackupKeys(manifest, Keys({'a'})).ok()) << "turning encryption on";
  manifest.snapshots = {plain, sealed};
  Status refused = CheckBackupKeys(manifest, Keys({}));
  EXPECT_EQ(refused.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "backup 2 is encrypted with key " + Id('a') +
                                   "; pass its key file with --backup-encryption-key-file");
  EXPECT_FALSE(CheckBackupKeys(manifest, Keys({'b'})).ok());
  EXPECT_TRUE(CheckBackupKeys(manifest, Keys({'b', 'a'})).ok());
}

TEST(BackupEncryptionLayoutTest, DataObjectsAreSealedAndMetadataIsNot) {
  for (auto key : {"snapshots/1.snap", "changelog/00000000000000000001-00000000000000000002.log",
                   "changelog/00000002/00000000000000000001-00000000000000000002.log",
                   "sst/0000000000000001.sst"}) {
    EXPECT_TRUE(IsEncryptedBackupObject(key)) << key;
  }
  for (auto key : {"manifest.json", "manifest/00000000000000000001.json", "storage.json",
                   "timelines/2.json"}) {
    EXPECT_FALSE(IsEncryptedBackupObject(key)) << key;
  }
}

TEST(BackupEncryptionLayoutTest, ManifestEntryRecordsTheKeyIdOnlyWhenEncrypted) {
  SnapshotEntry entry;
  entry.id = 4;
  entry.file = "snapshots/4.snap";
  EXPECT_EQ(EncodeManifestEntry(entry).find("key_id"), std::string::npos);
  entry.key_id = Id('a');
  std::string json = EncodeManifestEntry(entry);
  EXPECT_NE(json.find("\"key_id\": \"" + Id('a') + "\""), std::string::npos) << json;
  auto back = DecodeManifestEntry(json, "manifest/00000000000000000004.json", 4);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->key_id, Id('a'));
  Manifest manifest;
  manifest.snapshots = {entry};
  auto decoded = DecodeManifest(EncodeManifest(manifest));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->snapshots[0].key_id, Id('a'));
  std::string bad = json;
  bad.replace(bad.find("\"" + Id('a') + "\""), Id('a').size() + 2, "7");
  EXPECT_EQ(DecodeManifestEntry(bad, "manifest/00000000000000000004.json", 4).status().code(),
            ErrorCode::kCorruption);
}

}  // namespace
}  // namespace cairn
