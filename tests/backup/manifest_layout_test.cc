// The manifest as index + entry objects + tombstones (issue 12, docs/backup-format.md
// "The manifest"): what backup create and delete write, what readers see, old
// manifests, bad entry objects, and how many meta commits a backup costs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "backup/backup_service.h"
#include "backup/pitr_range.h"
#include "backup/snapshot_file.h"
#include "common/random.h"
#include "meta/backup_pins.h"
#include "meta/cluster_id.h"
#include "meta/keys.h"
#include "storage/cluster.h"
#include "storage/storage_codec.h"
#include "testing/forwarding_object_store.h"

namespace cairn {
namespace {

std::string UniqueName(const char* what) {
  static int counter = 0;
  return std::string("mem://manifest-layout-") + what + "-" + std::to_string(++counter) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

// Counts the writes (Put, PutIfAbsent, Delete) per key and the bytes put.
class CountingStore : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;
  Status Put(std::string_view key, std::string_view data) override {
    Count("put", key, data.size());
    return base()->Put(key, data);
  }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    Count("put_if_absent", key, data.size());
    return base()->PutIfAbsent(key, data);
  }
  Status Delete(std::string_view key) override {
    Count("delete", key, 0);
    return base()->Delete(key);
  }

  uint64_t count(const std::string& op, const std::string& key) {
    std::lock_guard lock(mu_);
    return counts_[op + " " + key];
  }
  uint64_t bytes_put(const std::string& key) {
    std::lock_guard lock(mu_);
    return bytes_[key];
  }
  void Clear() {
    std::lock_guard lock(mu_);
    counts_.clear();
    bytes_.clear();
  }

 private:
  void Count(const char* op, std::string_view key, size_t bytes) {
    std::lock_guard lock(mu_);
    ++counts_[std::string(op) + " " + std::string(key)];
    bytes_[std::string(key)] += bytes;
  }
  std::mutex mu_;
  std::map<std::string, uint64_t> counts_;
  std::map<std::string, uint64_t> bytes_;
};

SnapshotEntry Entry(uint64_t id) {
  SnapshotEntry e;
  e.id = id;
  e.created_ms = 1000 + id;
  e.epoch = 5000 + id;
  e.file = BackupStorage::SnapshotKey(id);
  e.format_version = 1;
  e.cluster_id = "c1";
  return e;
}

std::vector<uint64_t> Ids(const Manifest& m) {
  std::vector<uint64_t> ids;
  for (const auto& s : m.snapshots) ids.push_back(s.id);
  return ids;
}

size_t ObjectsUnder(ObjectStore* store, std::string_view prefix) {
  size_t n = 0;
  EXPECT_TRUE(ListAll(*store, prefix, [&](const ObjectMeta&) {
                ++n;
                return Status::OK();
              }).ok());
  return n;
}

class ManifestLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ObjectStoreOptions options;
    options.clock = &clock_;
    objects_ = *OpenObjectStore(UniqueName("data"), options);
    base_backups_ = *OpenObjectStore(UniqueName("backup"), options);
    backups_ = std::make_unique<CountingStore>(base_backups_.get());
    meta_ = *OpenMetaStore(UniqueName("meta"));
    writer_ = std::make_unique<MetaWriter>(meta_.get(), &clock_);
    ASSERT_TRUE(writer_->Open().ok());
    ClusterOptions cluster_options;
    cluster_options.clock = &clock_;
    cluster_options.background_threads = false;
    cluster_options.vacuum_min_age_ms = 0;
    cluster_ = *Cluster::Open(writer_.get(), objects_.get(), cluster_options);
    Random random(7);
    ASSERT_TRUE(EnsureClusterId(writer_.get(), &random).ok());
    ASSERT_TRUE(cluster_->CreateTable("t").ok());
    WriteBatch batch;
    batch.Put(cluster_->ListTables()->at(0).id, "k", "v");
    ASSERT_TRUE(cluster_->Write(batch, true).ok());
    ASSERT_TRUE(cluster_->Flush().ok());
    service_ =
        std::make_unique<BackupService>(writer_.get(), objects_.get(), backups_.get(), &clock_);
  }
  void TearDown() override {
    if (cluster_) EXPECT_TRUE(cluster_->Close().ok());
  }

  uint64_t CreateOk() {
    clock_.Advance(10);
    auto created = service_->Create("");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : 0;
  }

  ManualClock clock_{1'764'000'000'000};
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<ObjectStore> base_backups_;
  std::unique_ptr<CountingStore> backups_;
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<MetaWriter> writer_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<BackupService> service_;
};

// Before issue 12 every create rewrote manifest.json with every entry.
TEST_F(ManifestLayoutTest, CreateWritesOneEntryObjectNotTheWholeManifest) {
  uint64_t first = CreateOk();
  ASSERT_NE(first, 0u);
  backups_->Clear();
  std::vector<uint64_t> ids = {first};
  for (int i = 0; i < 8; ++i) {
    uint64_t id = CreateOk();
    ids.push_back(id);
    EXPECT_EQ(backups_->count("put_if_absent", BackupStorage::EntryKey(id)), 1u);
    EXPECT_LT(backups_->bytes_put(BackupStorage::EntryKey(id)), 1000u);
  }
  EXPECT_EQ(backups_->count("put", std::string(BackupStorage::kManifestKey)), 0u)
      << "manifest.json is rewritten only when entries are compacted";
  auto listed = service_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), ids);
}

TEST_F(ManifestLayoutTest, DeleteWritesATombstone) {
  uint64_t a = CreateOk(), b = CreateOk(), c = CreateOk();
  backups_->Clear();
  ASSERT_TRUE(service_->Delete(b).ok());
  EXPECT_EQ(backups_->count("put", std::string(BackupStorage::kManifestKey)), 0u);
  EXPECT_TRUE(base_backups_->Head(BackupStorage::TombstoneKey(b)).ok());
  auto listed = service_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{a, c}));
  EXPECT_TRUE(service_->Show(b).status().IsNotFound());
  EXPECT_TRUE(service_->Delete(b).IsNotFound());
  // The deleted backup's pin is gone, the others' stay.
  auto pins = PinSet::Load(meta_.get());
  ASSERT_TRUE(pins.ok());
  EXPECT_EQ(pins->size(), 2u);
}

TEST_F(ManifestLayoutTest, EntriesAreCompactedIntoTheIndex) {
  BackupStorage storage(base_backups_.get());
  std::vector<uint64_t> ids;
  // Compacted at the (K+1)th and 2(K+1)th backup: then the index holds 2(K+1) entries.
  const size_t k = BackupStorage::kDefaultCompactAfter;
  for (size_t i = 0; i < 2 * (k + 1) + 1; ++i) {
    ids.push_back(CreateOk());
    EXPECT_LE(ObjectsUnder(base_backups_.get(), BackupStorage::kManifestDir),
              BackupStorage::kDefaultCompactAfter);
  }
  ASSERT_TRUE(service_->Delete(ids[0]).ok());
  ids.erase(ids.begin());
  EXPECT_EQ(backups_->count("put", std::string(BackupStorage::kManifestKey)), 1u + 2u)
      << "one empty index at the first backup, then one rewrite per compaction";
  auto index = base_backups_->Get(BackupStorage::kManifestKey);
  ASSERT_TRUE(index.ok());
  auto decoded = DecodeManifest(*index);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->snapshots.size(), 2 * (k + 1));
  ManifestLayout layout;
  auto loaded = storage.LoadManifest(&layout);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Ids(*loaded), ids);
  EXPECT_EQ(layout.index_version, kManifestFormatVersion);
  EXPECT_EQ(layout.entries, 1u);
  EXPECT_EQ(layout.tombstones, 1u);
  ASSERT_TRUE(storage.CompactManifest().ok());
  EXPECT_EQ(ObjectsUnder(base_backups_.get(), BackupStorage::kManifestDir), 0u);
  EXPECT_EQ(Ids(*storage.LoadManifest()), ids);
}

// index ∪ entries − tombstones, and the leftovers a compaction that crashed between
// writing the index and deleting the objects leaves (an entry also in the index, a
// tombstone of an id the index no longer has).
TEST(ManifestUnionTest, IndexPlusEntriesMinusTombstones) {
  auto store = *OpenObjectStore("mem://manifest-union");
  BackupStorage storage(store.get());
  Manifest index;
  index.snapshots = {Entry(1), Entry(2), Entry(4)};
  ASSERT_TRUE(storage.SaveManifest(index).ok());
  ASSERT_TRUE(storage.AddEntry(Entry(3)).ok());
  ASSERT_TRUE(storage.AddEntry(Entry(4)).ok());  // also in the index: listed once
  ASSERT_TRUE(storage.AddEntry(Entry(5)).ok());
  ASSERT_TRUE(storage.AddTombstone(2, 0).ok());
  ASSERT_TRUE(storage.AddTombstone(2, 0).ok());  // twice is fine
  ASSERT_TRUE(storage.AddTombstone(5, 0).ok());
  ASSERT_TRUE(storage.AddTombstone(9, 0).ok());  // of an id nobody lists
  EXPECT_EQ(storage.AddEntry(Entry(3)).code(), ErrorCode::kAlreadyExists);
  auto loaded = storage.LoadManifest();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Ids(*loaded), (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(loaded->Find(3)->epoch, 5003u);
  ASSERT_TRUE(storage.CompactManifest().ok());
  EXPECT_EQ(ObjectsUnder(store.get(), BackupStorage::kManifestDir), 0u);
  EXPECT_EQ(Ids(*storage.LoadManifest()), (std::vector<uint64_t>{1, 3, 4}));
  // Names that are no entry or tombstone are ignored.
  ASSERT_TRUE(store->Put("manifest/readme.txt", "x").ok());
  ASSERT_TRUE(store->Put("manifest/1.json", "x").ok());
  EXPECT_EQ(Ids(*storage.LoadManifest()), (std::vector<uint64_t>{1, 3, 4}));
}

// A manifest.json from before issue 12 (format version 1, no manifest/) reads exactly
// as before; the first backup on it rewrites it as an index of format version 2, so an
// older build refuses the storage instead of missing the newer backups.
TEST_F(ManifestLayoutTest, OldManifestReadsAsBeforeAndIsUpgradedByTheNextBackup) {
  Manifest old;
  old.snapshots = {Entry(7), Entry(3)};  // old manifests were not checked for order
  std::string text = EncodeManifest(old);
  text.replace(text.find("\"format_version\": 2"), 19, "\"format_version\": 1");
  ASSERT_TRUE(base_backups_->Put(BackupStorage::kManifestKey, text).ok());
  BackupStorage storage(base_backups_.get());
  ManifestLayout layout;
  auto loaded = storage.LoadManifest(&layout);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Ids(*loaded), (std::vector<uint64_t>{7, 3}));
  EXPECT_EQ(layout.index_version, 1u);
  EXPECT_EQ(EncodeManifest(*loaded), EncodeManifest(old));

  uint64_t id = CreateOk();
  auto index = base_backups_->Get(BackupStorage::kManifestKey);
  ASSERT_TRUE(index.ok());
  EXPECT_NE(index->find("\"format_version\": 2"), std::string::npos);
  auto decoded = DecodeManifest(*index);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->snapshots.size(), 3u);
  auto listed = service_->List();
  ASSERT_TRUE(listed.ok());
  std::vector<uint64_t> want = {3, 7, id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Ids(*listed), want);
}

TEST(ManifestUnionTest, BadEntryObjectsAreClearErrors) {
  auto store = *OpenObjectStore("mem://manifest-bad-entries");
  BackupStorage storage(store.get());
  ASSERT_TRUE(storage.SaveManifest(Manifest{}).ok());
  std::string key = BackupStorage::EntryKey(12);
  std::string good = EncodeManifestEntry(Entry(12));
  ASSERT_TRUE(DecodeManifestEntry(good, key, 12).ok());
  struct Case {
    std::string text;
    ErrorCode code;
    std::string says;
  };
  std::string other_id = good;
  other_id.replace(other_id.find("\"id\": 12"), 8, "\"id\": 13");
  std::string future = good;
  future.replace(future.find("\"format_version\": 1"), 19, "\"format_version\": 7");
  std::vector<Case> cases = {
      {"", ErrorCode::kCorruption, "empty file"},
      {good.substr(0, good.size() / 2), ErrorCode::kCorruption, "not valid JSON"},
      {"[]", ErrorCode::kCorruption, "not valid JSON"},
      {R"({"format_version":1})", ErrorCode::kCorruption, "missing or mistyped"},
      {R"({"format_version":1,"snapshot":{"id":12}})", ErrorCode::kCorruption,
       "missing or mistyped"},
      {R"({"format_version":"1","snapshot":{}})", ErrorCode::kCorruption, "missing or mistyped"},
      {R"({"format_version":1e40,"snapshot":{}})", ErrorCode::kCorruption, "not an integer"},
      {other_id, ErrorCode::kCorruption, "holds backup 13"},
      {future, ErrorCode::kNotSupported, "format version 7"},
  };
  for (const auto& c : cases) {
    auto decoded = DecodeManifestEntry(c.text, key, 12);
    ASSERT_FALSE(decoded.ok()) << c.text;
    EXPECT_EQ(decoded.status().code(), c.code) << c.text << ": " << decoded.status().ToString();
    EXPECT_NE(decoded.status().message().find(c.says), std::string::npos)
        << decoded.status().ToString();
    EXPECT_NE(decoded.status().message().find(key), std::string::npos)
        << decoded.status().ToString();
    // Through the storage: the same error, for every reader.
    ASSERT_TRUE(store->Put(key, c.text).ok());
    auto loaded = storage.LoadManifest();
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), c.code) << loaded.status().ToString();
    auto or_empty = storage.LoadManifestOrEmpty();
    EXPECT_EQ(or_empty.status().code(), c.code);
  }
}

// Entry objects without their index are a lost manifest: readers say NotFound, and
// backup create and purge refuse while snapshot files exist (nothing is deleted).
TEST_F(ManifestLayoutTest, EntriesWithoutIndexAreALostManifest) {
  uint64_t a = CreateOk(), b = CreateOk();
  ASSERT_TRUE(base_backups_->Delete(BackupStorage::kManifestKey).ok());
  BackupStorage storage(base_backups_.get());
  EXPECT_TRUE(storage.LoadManifest().status().IsNotFound());
  auto created = service_->Create("after the index was lost");
  EXPECT_EQ(created.status().code(), ErrorCode::kFailedPrecondition) << created.status().ToString();
  clock_.Advance(2 * BackupService::kOrphanGraceMs);
  EXPECT_EQ(service_->PurgeOrphans(BackupService::kOrphanGraceMs).status().code(),
            ErrorCode::kFailedPrecondition);
  auto pins = PinSet::Load(meta_.get());
  ASSERT_TRUE(pins.ok());
  EXPECT_EQ(pins->size(), 2u);
  EXPECT_EQ(ObjectsUnder(base_backups_.get(), "snapshots/"), 2u);
  // The operator puts an index back (here: an empty one): both are listed again.
  ASSERT_TRUE(base_backups_->Put(BackupStorage::kManifestKey, EncodeManifest(Manifest{})).ok());
  auto listed = service_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{a, b}));
  EXPECT_NE(CreateOk(), 0u);
}

// A storage whose backups were given up (index and snapshot files gone, entry objects
// left) starts a new manifest that does not resurrect them.
TEST_F(ManifestLayoutTest, ANewManifestDropsLeftoverEntries) {
  CreateOk();
  CreateOk();
  ASSERT_TRUE(base_backups_->Delete(BackupStorage::kManifestKey).ok());
  std::vector<std::string> files;
  ASSERT_TRUE(ListAll(*base_backups_, "snapshots/", [&](const ObjectMeta& m) {
                files.push_back(m.key);
                return Status::OK();
              }).ok());
  for (const auto& f : files) ASSERT_TRUE(base_backups_->Delete(f).ok());
  uint64_t id = CreateOk();
  auto listed = service_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{id}));
}

// cairn-sim seed 1084: a backup deleted (tombstone) after the last compaction came back
// when the operator put a lost manifest.json back after a new one had been started.
TEST_F(ManifestLayoutTest, APutBackIndexDoesNotBringBackDeletedBackups) {
  uint64_t a = CreateOk();
  BackupStorage storage(base_backups_.get());
  ASSERT_TRUE(storage.CompactManifest().ok());  // a is in the index now
  ASSERT_TRUE(service_->Delete(a).ok());        // and hidden by a tombstone
  auto saved = base_backups_->Get(BackupStorage::kManifestKey);
  ASSERT_TRUE(saved.ok());
  ASSERT_TRUE(base_backups_->Delete(BackupStorage::kManifestKey).ok());
  uint64_t b = CreateOk();  // no snapshot files left: a new manifest
  ASSERT_TRUE(base_backups_->Put(BackupStorage::kManifestKey, *saved).ok());
  auto listed = service_->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{b}));
}

// cairn-sim seed 371: a restore raises ids/backup above the listed backups only, so a
// deleted backup's id came again, and its tombstone hid the new backup.
TEST_F(ManifestLayoutTest, ANewBackupNeverTakesTheIdOfADeletedOne) {
  uint64_t a = CreateOk(), b = CreateOk();
  ASSERT_TRUE(service_->Delete(b).ok());
  Txn txn;  // what a restore of backup a leaves: ids/backup = largest listed id + 1
  txn.ops.push_back(Op::Put(keys::IdKey("backup"), std::to_string(a + 1)));
  ASSERT_TRUE(meta_->Commit(txn).ok());
  BackupService fresh(writer_.get(), objects_.get(), backups_.get(), &clock_);
  clock_.Advance(10);
  auto created = fresh.Create("");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->id, b);
  auto listed = fresh.List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{a, created->id}));
}

// The restore path and PITR read index + entries too.
TEST_F(ManifestLayoutTest, PitrViewSeesEntryObjects) {
  uint64_t a = CreateOk(), b = CreateOk();
  ASSERT_TRUE(service_->Delete(a).ok());
  BackupStorage storage(base_backups_.get());
  auto view = LoadArchiveView(&storage);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(Ids(view->manifest), (std::vector<uint64_t>{b}));
}

// Issue 12 (4a): the snapshot file records the timeline of its cut; verify (and restore,
// which verifies first) refuses a manifest entry that says another one.
TEST_F(ManifestLayoutTest, VerifyCrossChecksTheTimeline) {
  uint64_t id = CreateOk();
  ASSERT_TRUE(service_->Verify(id).ok());
  auto header = ReadSnapshotHeader(base_backups_.get(), BackupStorage::SnapshotKey(id));
  ASSERT_TRUE(header.ok());
  EXPECT_TRUE(header->timeline_recorded);
  EXPECT_EQ(header->timeline, 1u);
  BackupStorage storage(base_backups_.get());
  Manifest manifest = *storage.LoadManifest();
  ASSERT_EQ(manifest.snapshots.size(), 1u);
  manifest.snapshots[0].timeline = 2;
  ASSERT_TRUE(storage.SaveManifest(manifest).ok());
  auto verified = service_->Verify(id);
  EXPECT_TRUE(verified.status().IsCorruption()) << verified.status().ToString();
  EXPECT_NE(verified.status().message().find("timeline 1"), std::string::npos)
      << verified.status().ToString();
}

// Issue 12: the backup id and the exact pin of the cut in one commit when the version
// did not change between cut and pin; before, three (id, in-progress pin, narrowed pin).
TEST_F(ManifestLayoutTest, ABackupOnAQuietClusterCostsOneMetaCommit) {
  CreateOk();  // the first one also writes storage.json and the empty index
  for (int i = 0; i < 3; ++i) {
    uint64_t before = writer_->last_seq();
    uint64_t id = CreateOk();
    ASSERT_NE(id, 0u);
    EXPECT_EQ(writer_->last_seq() - before, 1u) << "changelog records for backup " << id;
    auto pin = meta_->Get(PinKey(id));
    ASSERT_TRUE(pin.ok() && pin->has_value());
    auto decoded = DecodePin(PinKey(id), (*pin)->value);
    ASSERT_TRUE(decoded.ok());
    auto entry = service_->Show(id);
    ASSERT_TRUE(entry.ok());
    EXPECT_EQ(decoded->epoch, entry->epoch);
    EXPECT_EQ(decoded->max_object_id, entry->max_object_id) << "the pin is exactly the cut's";
  }
  auto ids = meta_->Get(keys::IdKey("backup"));
  ASSERT_TRUE(ids.ok() && ids->has_value());
  EXPECT_EQ((*ids)->value, "5");
}

// A meta store whose version moves right after every one of the first `bumps`
// snapshots, as on a cluster that checkpoints between every cut and its pin.
class BusyMetaStore : public MetaStore {
 public:
  BusyMetaStore(MetaStore* base, int bumps) : base_(base), bumps_(bumps) {}
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override {
    auto snapshot = base_->Snapshot();
    if (snapshot.ok() && bumps_ > 0) {
      --bumps_;
      ++version_.version_id;
      version_.max_committed_epoch += 10;
      Txn txn;
      txn.ops.push_back(Op::Put(std::string(keys::kStorageVersion), EncodeVersionHeader(version_)));
      EXPECT_TRUE(base_->Commit(txn).ok());
    }
    return snapshot;
  }
  Result<int64_t> Commit(const Txn& txn) override { return base_->Commit(txn); }
  std::string DescribeForLog() const override { return base_->DescribeForLog(); }
  int bumps() const { return bumps_; }

 private:
  MetaStore* base_;
  int bumps_;
  VersionHeader version_{1, 100};
};

// When the version keeps changing between cut and pin, backup create falls back to pin
// first (id + in-progress pin) and narrow after the cut: two commits, never more.
TEST(BackupCommitsTest, ABusyClusterCostsTwoMetaCommits) {
  ManualClock clock;
  auto base = *OpenMetaStore("mem://backup-commits-busy");
  BusyMetaStore busy(base.get(), 1000);
  MetaWriter writer(&busy, &clock);
  ASSERT_TRUE(writer.Open().ok());
  auto objects = *OpenObjectStore("mem://backup-commits-busy-data");
  auto backups = *OpenObjectStore("mem://backup-commits-busy-backup");
  BackupService service(&writer, objects.get(), backups.get(), &clock);
  for (int i = 0; i < 3; ++i) {
    uint64_t before = writer.last_seq();
    auto created = service.Create("");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ(writer.last_seq() - before, 2u) << "changelog records for backup " << created->id;
    auto pin = base->Get(PinKey(created->id));
    ASSERT_TRUE(pin.ok() && pin->has_value());
    auto decoded = DecodePin(PinKey(created->id), (*pin)->value);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->max_object_id, std::max<uint64_t>(created->max_object_id, 1));
    EXPECT_EQ(decoded->epoch, created->epoch);
    EXPECT_GT(created->epoch, 100u);
  }
  EXPECT_LT(busy.bumps(), 1000);
}

}  // namespace
}  // namespace cairn
