// Self-contained backups (`backup create --copy-data`, docs/backup-format.md "Copied
// SSTs") on the real engine, in process: the copy list format, incremental copies,
// restore into an empty object store, freeing copies on delete, and bad input (damaged
// copies, backup storage filling up mid-copy) that changes nothing.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "backup/backup_service.h"
#include "backup/pitr_restore.h"
#include "backup/restore.h"
#include "backup/schedule_policy.h"
#include "backup/sst_copy_list.h"
#include "common/random.h"
#include "meta/backup_pins.h"
#include "meta/cluster_id.h"
#include "object_store/fault_object_store.h"
#include "storage/cluster.h"
#include "storage/storage_codec.h"
#include "testing/forwarding_object_store.h"
#include "testing/mem_backup_fixture.h"

namespace cairn {
namespace {

using State = std::map<std::string, std::map<std::string, std::string>>;

std::string UniqueName(const char* what) { return UniqueMemName("copy-data", what); }

// Keys under `prefix` in `store`.
std::set<std::string> Keys(ObjectStore* store, std::string_view prefix) {
  std::set<std::string> out;
  EXPECT_TRUE(ListAll(*store, prefix, [&](const ObjectMeta& m) {
                out.insert(m.key);
                return Status::OK();
              }).ok());
  return out;
}

std::set<uint64_t> ListedIds(ObjectStore* backups, const SnapshotEntry& e) {
  auto list = ReadCopyList(backups, e.copy.list);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  std::set<uint64_t> ids;
  if (list.ok()) {
    for (const auto& c : *list) ids.insert(c.id);
  }
  return ids;
}

// Backup storage that runs out of space: Append under sst/ fails once `budget` bytes
// were appended there (like ENOSPC), until Refill().
class FillingStore final : public testing::ForwardingObjectStore {
 public:
  FillingStore(ObjectStore* base, uint64_t budget) : ForwardingObjectStore(base), budget_(budget) {}
  void Refill() { budget_ = UINT64_MAX; }
  using ObjectStore::NewWriter;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override {
    CAIRN_ASSIGN_OR_RETURN(auto w, base()->NewWriter(key, mode));
    if (!key.starts_with("sst/")) return w;
    return std::unique_ptr<ObjectWriter>(new Writer(this, std::move(w)));
  }

 private:
  struct Writer final : ObjectWriter {
    Writer(FillingStore* s, std::unique_ptr<ObjectWriter> w) : store(s), base(std::move(w)) {}
    Status Append(std::string_view data) override {
      if (data.size() > store->budget_) return Status::IOError("No space left on device");
      store->budget_ -= data.size();
      return base->Append(data);
    }
    Status Finish() override { return base->Finish(); }
    void Abort() override { base->Abort(); }
    uint64_t bytes_written() const override { return base->bytes_written(); }
    FillingStore* store;
    std::unique_ptr<ObjectWriter> base;
  };
  uint64_t budget_;
};

class CopyDataTest : public MemBackupFixture {
 protected:
  void SetUp() override {
    ClusterOptions copts;
    copts.vacuum_min_age_ms = 0;
    ASSERT_NO_FATAL_FAILURE(OpenCluster("copy-data", copts));
    ASSERT_TRUE(cluster_->CreateTable("t").ok());
  }
  // One flush: one new SST.
  void Write(int from, int to, const std::string& tag) {
    auto info = cluster_->GetTable("t");
    ASSERT_TRUE(info.ok());
    WriteBatch batch;
    for (int i = from; i < to; ++i) {
      batch.Put(info->id, "k" + std::to_string(100000 + i), tag + std::to_string(i));
    }
    ASSERT_TRUE(cluster_->Write(batch, /*wait=*/false).ok());
    clock_.Advance(5);
    ASSERT_TRUE(cluster_->Flush().ok());
  }

  static State Dump(Cluster* c) {
    State state;
    auto tables = c->ListTables();
    EXPECT_TRUE(tables.ok());
    for (const auto& t : *tables) {
      auto it = c->Scan(t.id, "", "");
      EXPECT_TRUE(it.ok()) << it.status().ToString();
      if (!it.ok()) continue;
      for (; (*it)->Valid(); (*it)->Next())
        state[t.name][std::string((*it)->key())] = (*it)->value();
    }
    return state;
  }

  SnapshotEntry CopyBackup(const std::string& remarks) {
    auto b = service_->Create(remarks, {.copy_data = true, .copy_threads = 2});
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : SnapshotEntry{};
  }

  Result<RestorePlan> RestoreInto(uint64_t id, ObjectStore* objects, MetaStore* target,
                                  bool dry_run = false) {
    BackupStorage storage(backups_.get());
    RestoreOptions options;
    options.snapshot_id = id;
    options.dry_run = dry_run;
    options.clock = &clock_;
    return RestoreSnapshot(&storage, objects, target, options);
  }

  // Flips one byte (or truncates) the copy of one SST in backup storage.
  std::string DamageOneCopy(bool truncate) {
    std::string key = *Keys(backups_.get(), "sst/").begin();
    std::string bytes = *backups_->Get(key);
    if (truncate) {
      bytes.resize(bytes.size() / 2);
    } else {
      bytes[bytes.size() / 3] ^= 0x20;
    }
    EXPECT_TRUE(backups_->Put(key, bytes).ok());
    return key;
  }

  static bool Empty(MetaStore* store) {
    auto page = store->Range(std::string(1, '\0'), "", 1);
    return page.ok() && page->empty();
  }
};

TEST(CopyListTest, RoundTripAndEveryKindOfDamage) {
  auto store = *OpenObjectStore("mem://copy-list-roundtrip");
  std::vector<SstCopy> copies;
  for (uint64_t i = 1; i <= 30000; ++i) copies.push_back({i * 3, 1000 + i, i * 0x9e3779b97f4a7c15});
  auto info = WriteCopyList(store.get(), CopyListKey(7), copies);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key, "copies/00000000000000000007.list");
  EXPECT_EQ(info->count, copies.size());
  EXPECT_GT(info->size, uint64_t{1} << 20);  // spans several read chunks
  auto read = ReadCopyList(store.get(), *info);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, copies);

  std::string bytes = *store->Get(info->key);
  auto damaged = [&](std::string text) {
    EXPECT_TRUE(store->Put(info->key, text).ok());
    return ReadCopyList(store.get(), *info).status();
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = flipped[bytes.size() / 2] == '1' ? '2' : '1';
  EXPECT_TRUE(damaged(flipped).IsCorruption());
  EXPECT_TRUE(damaged(bytes.substr(0, bytes.size() - 10)).IsCorruption());
  EXPECT_TRUE(damaged(bytes + "x\n").IsCorruption());
  Status future = damaged("cairn-sst-copies 9\n" + bytes.substr(bytes.find('\n') + 1));
  EXPECT_EQ(future.code(), ErrorCode::kNotSupported) << future.ToString();
  // Intact, but not what the manifest entry recorded.
  ASSERT_TRUE(store->Put(info->key, bytes).ok());
  CopyListInfo other = *info;
  other.checksum ^= 1;
  Status mismatch = ReadCopyList(store.get(), other).status();
  EXPECT_TRUE(mismatch.IsCorruption());
  EXPECT_NE(mismatch.message().find(info->key), std::string::npos) << mismatch.ToString();
  EXPECT_TRUE(store->Delete(info->key).ok());
  EXPECT_TRUE(ReadCopyList(store.get(), *info).status().IsNotFound());
}

TEST(CopyScheduleTest, CopyDataRoundTripsAndOldRecordsReadAsReferenceOnly) {
  BackupSchedule s;
  s.every_ms = 60000;
  s.keep_last = 3;
  s.copy_data = true;
  auto back = DecodeSchedule(EncodeSchedule(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  auto old = DecodeSchedule(
      R"({"every_ms":60000,"keep_last":3,"keep_hourly":0,"keep_daily":0,"keep_weekly":0,"set_ms":0})");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_FALSE(old->copy_data);
}

TEST_F(CopyDataTest, RestoreIntoAnEmptyObjectStoreYieldsTheDataAndRerunSkipsCopies) {
  Write(0, 300, "a");
  Write(300, 600, "b");
  Write(100, 200, "c");
  State at_backup = Dump(cluster_.get());
  SnapshotEntry b = CopyBackup("full");
  ASSERT_TRUE(b.self_contained());
  EXPECT_EQ(b.copy.list.count, b.sst_count);
  EXPECT_EQ(b.copy.added_ssts, b.sst_count);
  EXPECT_EQ(b.copy.bytes, b.sst_bytes);
  EXPECT_EQ(b.copy.added_bytes, b.sst_bytes);
  EXPECT_EQ(Keys(backups_.get(), "sst/").size(), b.sst_count);
  // Listed as self-contained (the manifest entry round-trips).
  auto shown = service_->Show(b.id);
  ASSERT_TRUE(shown.ok());
  EXPECT_TRUE(shown->self_contained());
  EXPECT_EQ(shown->copy.list.checksum, b.copy.list.checksum);
  auto verified = service_->Verify(b.id, /*deep=*/true);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->self_contained);
  EXPECT_EQ(verified->copies_checked, b.sst_count);
  EXPECT_EQ(verified->copy_bytes_read, b.sst_bytes);

  // The object store is lost: restore into an empty one and a new meta store.
  auto empty = *OpenObjectStore(UniqueName("new-data"));
  auto target = *OpenMetaStore(UniqueName("target"));
  auto dry = RestoreInto(b.id, empty.get(), target.get(), /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->copied_ssts, b.sst_count);
  EXPECT_TRUE(Keys(empty.get(), "").empty()) << "a dry run copies nothing";
  auto plan = RestoreInto(b.id, empty.get(), target.get());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->copied_ssts, b.sst_count);
  EXPECT_EQ(plan->copied_bytes, b.sst_bytes);
  EXPECT_EQ(Keys(empty.get(), "data/").size(), b.sst_count);
  EXPECT_TRUE(empty->Head("cluster/identity.json").ok()) << "the restore writes the identity";

  {
    MetaWriter w(target.get(), &clock_);
    ASSERT_TRUE(w.Open().ok());
    ClusterOptions copts;
    copts.clock = &clock_;
    copts.background_threads = false;
    auto restored = Cluster::Open(&w, empty.get(), copts);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    EXPECT_EQ(Dump(restored->get()), at_backup);
    EXPECT_TRUE((*restored)->Close().ok());
  }
  // A rerun (say the first one crashed after copying) copies nothing again.
  auto again_target = *OpenMetaStore(UniqueName("target2"));
  auto again = RestoreInto(b.id, empty.get(), again_target.get());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->copied_ssts, 0u);
}

TEST_F(CopyDataTest, SecondBackupCopiesOnlyTheNewSstsAndDeleteFreesOnlyUnneededCopies) {
  Write(0, 300, "a");
  Write(300, 600, "b");
  SnapshotEntry b1 = CopyBackup("one");
  auto copied_after_b1 = service_->metrics().copied_bytes;
  Write(600, 700, "c");  // one new SST
  SnapshotEntry b2 = CopyBackup("two");
  std::set<uint64_t> ids1 = ListedIds(backups_.get(), b1), ids2 = ListedIds(backups_.get(), b2);
  std::set<uint64_t> fresh;
  for (uint64_t id : ids2) {
    if (!ids1.count(id)) fresh.insert(id);
  }
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(b2.copy.added_ssts, 1u);
  EXPECT_LT(b2.copy.added_bytes, b2.copy.bytes);
  EXPECT_EQ(service_->metrics().copied_bytes - copied_after_b1, b2.copy.added_bytes);
  // A reference-only backup in between copies nothing and needs no copy.
  auto ref = service_->Create("reference only");
  ASSERT_TRUE(ref.ok());
  EXPECT_FALSE(ref->self_contained());

  // Compaction replaces the SSTs; the next backup copies the compacted ones only.
  ASSERT_TRUE(cluster_->Compact().ok());
  SnapshotEntry b3 = CopyBackup("three");
  std::set<uint64_t> ids3 = ListedIds(backups_.get(), b3);
  std::set<std::string> all_before = Keys(backups_.get(), "sst/");

  ASSERT_TRUE(service_->Delete(b1.id).ok());
  // b1's copies that b2 shares stay; those only b1 had go.
  std::set<std::string> after = Keys(backups_.get(), "sst/");
  for (uint64_t id : ids1) {
    EXPECT_EQ(after.count(CopyKey(id)), ids2.count(id) + ids3.count(id) > 0 ? 1u : 0u) << id;
  }
  EXPECT_FALSE(backups_->Head(b1.copy.list.key).ok());
  ASSERT_TRUE(service_->Delete(b2.id).ok());
  std::set<std::string> want3;
  for (uint64_t id : ids3) want3.insert(CopyKey(id));
  EXPECT_EQ(Keys(backups_.get(), "sst/"), want3);
  ASSERT_TRUE(service_->Delete(b3.id).ok());
  EXPECT_TRUE(Keys(backups_.get(), "sst/").empty());
  EXPECT_TRUE(Keys(backups_.get(), "copies/").empty());
  EXPECT_GT(all_before.size(), want3.size());
}

TEST_F(CopyDataTest, ReferenceOnlyBackupIntoAnEmptyObjectStoreIsRefusedNamingTheCount) {
  Write(0, 300, "a");
  Write(300, 600, "b");
  auto b = service_->Create("reference only");
  ASSERT_TRUE(b.ok());
  auto empty = *OpenObjectStore(UniqueName("new-data"));
  auto target = *OpenMetaStore(UniqueName("target"));
  auto plan = RestoreInto(b->id, empty.get(), target.get());
  ASSERT_TRUE(plan.status().IsNotFound()) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find(std::to_string(b->sst_count) + " SST(s) missing"),
            std::string::npos)
      << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("reference-only"), std::string::npos);
  EXPECT_TRUE(Keys(empty.get(), "").empty());
  EXPECT_TRUE(Empty(target.get()));
}

TEST_F(CopyDataTest, DamagedCopiesAreNamedByVerifyAndRestoreAndChangeNothing) {
  Write(0, 300, "a");
  Write(300, 600, "b");
  SnapshotEntry b = CopyBackup("full");
  for (bool truncate : {false, true}) {
    SCOPED_TRACE(truncate ? "truncated" : "flipped");
    std::string original = *backups_->Get(*Keys(backups_.get(), "sst/").begin());
    std::string key = DamageOneCopy(truncate);
    auto verified = service_->Verify(b.id, /*deep=*/true);
    ASSERT_TRUE(verified.status().IsCorruption()) << verified.status().ToString();
    EXPECT_NE(verified.status().message().find(key), std::string::npos)
        << verified.status().ToString();
    auto empty = *OpenObjectStore(UniqueName("new-data"));
    auto target = *OpenMetaStore(UniqueName("target"));
    auto plan = RestoreInto(b.id, empty.get(), target.get());
    ASSERT_TRUE(plan.status().IsCorruption()) << plan.status().ToString();
    EXPECT_NE(plan.status().message().find(key), std::string::npos) << plan.status().ToString();
    EXPECT_TRUE(Keys(empty.get(), "").empty())
        << "a damaged copy leaves the object store as it was";
    EXPECT_TRUE(Empty(target.get()));
    ASSERT_TRUE(backups_->Put(key, original).ok());
  }
  EXPECT_TRUE(service_->Verify(b.id, /*deep=*/true).ok());
}

TEST_F(CopyDataTest, BackupStorageFillingUpMidCopyPublishesNothingAndTheNextRunResumes) {
  for (int i = 0; i < 6; ++i) Write(i * 100, i * 100 + 100, "v");
  auto sizes = Keys(objects_.get(), "data/");
  ASSERT_GE(sizes.size(), 6u);
  uint64_t one = objects_->Head(*sizes.begin())->size;
  FillingStore filling(backups_.get(), one * 5 / 2);  // room for about two copies
  BackupService service(writer_.get(), objects_.get(), &filling, &clock_);
  auto failed = service.Create("fills up", {.copy_data = true, .copy_threads = 1});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("No space left"), std::string::npos)
      << failed.status().ToString();
  // Nothing half-published: no entry, no snapshot file, no list, no pin.
  EXPECT_TRUE(service.List()->snapshots.empty());
  EXPECT_TRUE(Keys(backups_.get(), "snapshots/").empty());
  EXPECT_TRUE(Keys(backups_.get(), "copies/").empty());
  EXPECT_TRUE(PinSet::Load(meta_.get())->pins().empty());
  size_t left = Keys(backups_.get(), "sst/").size();
  EXPECT_GE(left, 1u);
  EXPECT_LT(left, sizes.size());

  const uint64_t copied_before = service.metrics().copied_ssts;
  filling.Refill();
  clock_.Advance(1000);
  auto resumed = service.Create("resumed", {.copy_data = true, .copy_threads = 1});
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(service.metrics().copied_ssts - copied_before, resumed->sst_count - left)
      << "the second run copies only what the first did not";
  EXPECT_EQ(resumed->copy.added_ssts, resumed->sst_count);
  EXPECT_TRUE(service.Verify(resumed->id, /*deep=*/true).ok());
}

// Random write failures in backup storage (FaultInjectingObjectStore, before apply: a
// full disk refuses the write): every failed run publishes nothing and leaves no pin,
// and across all runs no SST is copied twice.
TEST_F(CopyDataTest, RandomWriteFaultsNeverHalfPublishAndNoSstIsCopiedTwice) {
  for (int i = 0; i < 12; ++i) Write(i * 100, i * 100 + 100, "v");
  FaultInjectingObjectStore faulty(backups_.get(), /*seed=*/3);
  faulty.SetFaultyOps({ObjectOp::kAppend, ObjectOp::kFinish});
  faulty.SetFailureRate(0.15);
  BackupService service(writer_.get(), objects_.get(), &faulty, &clock_);
  Result<SnapshotEntry> made = Status::NotFound("not run");
  int failures = 0;
  bool mid_copy = false;  // a run failed after some of its copies landed
  for (int attempt = 0; attempt < 100 && !made.ok(); ++attempt) {
    clock_.Advance(1000);
    made = service.Create("faulty", {.copy_data = true, .copy_threads = 1});
    if (made.ok()) break;
    ++failures;
    mid_copy |= !Keys(backups_.get(), "sst/").empty();
    EXPECT_TRUE(service.List()->snapshots.empty());
    EXPECT_TRUE(PinSet::Load(meta_.get())->pins().empty());
    EXPECT_TRUE(Keys(backups_.get(), "copies/").empty());
    EXPECT_TRUE(Keys(backups_.get(), "snapshots/").empty());
  }
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_GT(failures, 0);
  EXPECT_TRUE(mid_copy);
  EXPECT_EQ(service.metrics().copied_ssts, made->sst_count) << "no SST is copied twice";
  faulty.Reset();
  EXPECT_TRUE(service.Verify(made->id, /*deep=*/true).ok());
}

TEST_F(CopyDataTest, PointInTimeRestoreFromASelfContainedBaseCopiesWhatTheBaseHolds) {
  Write(0, 300, "a");
  SnapshotEntry b = CopyBackup("base");
  auto empty = *OpenObjectStore(UniqueName("new-data"));
  auto target = *OpenMetaStore(UniqueName("target"));
  BackupStorage storage(backups_.get());
  PointInTimeOptions options;
  options.to_latest = true;
  options.clock = &clock_;
  auto plan = RestoreToPoint(&storage, empty.get(), target.get(), options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->copied_ssts, b.sst_count);
  EXPECT_EQ(Keys(empty.get(), "data/").size(), b.sst_count);
}

}  // namespace
}  // namespace cairn
