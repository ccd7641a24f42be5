// Streaming point-in-time restore (issue 12 item 6): RestoreToPoint verifies in a first
// pass that keeps only the SSTs and id generators, then streams the snapshot and the
// replayed records onto the target in batches. Checked against two oracles at every
// instant of seeded histories: the source meta store's keys at the restored seq, and the
// map-based replay restore used before (kept here only as the oracle). Also: restores
// that take many small transactions, range deletes that cross the keys the restore head
// writes, and a crash or a failed commit at every step of the write.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "backup/pitr_segment.h"
#include "backup/restore_target.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "common/epoch.h"
#include "meta/keys.h"
#include "meta/restore_marker.h"
#include "meta_store/fault_meta_store.h"
#include "pitr/pitr_fixture.h"
#include "storage/storage_codec.h"
#include "testing/store_dump.h"

namespace cairn::pitr_test {
namespace {

using KeyMap = std::map<std::string, std::string>;
using IdMap = std::map<std::string, uint64_t>;

// The keys a restore reproduces from the backup: everything but the id generators (the
// restore writes them bumped), the excluded prefixes (pins, marker, changelog, transient)
// and the timeline key the restore sets for the cluster it starts.
KeyMap Restorable(const KeyMap& keys) {
  KeyMap out;
  for (const auto& [key, value] : keys) {
    bool excluded = key.starts_with(keys::kIdPrefix) || key == "cluster/timeline";
    for (auto prefix : keys::kExcludedPrefixes) excluded = excluded || key.starts_with(prefix);
    if (!excluded) out.emplace(key, value);
  }
  return out;
}

KeyMap IdKeys(const KeyMap& keys) {
  KeyMap out;
  for (const auto& [key, value] : keys) {
    if (key.starts_with(keys::kIdPrefix)) out.emplace(key, value);
  }
  return out;
}

KeyMap IdKeys(const IdMap& ids) {
  KeyMap out;
  for (const auto& [name, value] : ids) out.emplace(keys::IdKey(name), std::to_string(value));
  return out;
}

size_t PinCount(const KeyMap& keys) {
  return std::count_if(keys.begin(), keys.end(),
                       [](const auto& kv) { return kv.first.starts_with(keys::kBackupPinPrefix); });
}

// What the map-based restore (before streaming) produced for `plan`'s snapshot and seq:
// the whole state in a map, replayed, then ids and excluded prefixes dropped.
struct OldRestore {
  KeyMap keys;
  IdMap ids;
  uint64_t ssts = 0;
};

uint64_t MaxListedObject(ObjectStore* objects) {
  uint64_t max = 0;
  EXPECT_TRUE(ListAll(*objects, "data/", [&](const ObjectMeta& m) {
                uint64_t id = 0;
                if (ParseSstObjectKey(m.key, &id)) max = std::max(max, id);
                return Status::OK();
              }).ok());
  return max;
}

OldRestore MapReplay(BackupStorage* storage, ObjectStore* objects, const PointInTimePlan& plan) {
  std::map<std::string, std::string> state;
  SnapshotHeader header;
  SnapshotFileInfo info;
  EXPECT_TRUE(ReadSnapshot(storage->store(), plan.snapshot.file, &header, &info,
                           [&](std::string_view key, std::string_view value) {
                             state.emplace(key, value);
                             return Status::OK();
                           })
                  .ok());
  OldRestore old;
  auto segments = ListSegments(storage->store());
  EXPECT_TRUE(segments.ok()) << segments.status().ToString();
  if (!segments.ok()) return {};
  for (const SegmentInfo& segment : *segments) {
    auto records = ReadSegment(storage->store(), segment);
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    for (const auto& record : *records) {
      if (record.seq <= plan.snapshot.changelog_seq) continue;
      if (record.seq <= plan.last_seq) ApplyChangelogRecord(record, &state);
      if (record.seq > plan.last_seq) MaxIdsIn(record, &old.ids);
    }
  }
  for (const auto& [key, value] : IdKeys(state)) {
    auto& slot = old.ids[key.substr(keys::kIdPrefix.size())];
    slot = std::max<uint64_t>(slot, std::stoull(value));
  }
  BumpIdGenerators(*storage->LoadManifest(), MaxListedObject(objects), &old.ids);
  old.keys = Restorable(state);
  old.ssts = std::count_if(state.begin(), state.end(), [](const auto& kv) {
    uint64_t id = 0;
    return kv.first.starts_with(keys::kStorageSstPrefix) &&
           ParseHexId(std::string_view(kv.first).substr(keys::kStorageSstPrefix.size()), &id);
  });
  return old;
}

// Forwards to `base` with small transaction limits, so that a restore takes many
// transactions. Counts the data commits (the cleanup's clear is not one), can fail the
// n-th with IOError, and records the largest transaction (but the final seal's).
class LimitedStore final : public MetaStore {
 public:
  LimitedStore(MetaStore* base, TxnLimits limits) : base_(base), limits_(limits) {}
  void FailCommit(int64_t n) { fail_at_ = n; }
  int64_t commits() const { return commits_; }
  size_t max_ops() const { return max_ops_; }

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override { return base_->Snapshot(); }
  Result<int64_t> Commit(const Txn& txn) override {
    bool cleanup = txn.ops.size() == 1 && txn.ops[0].kind == Op::Kind::kDeleteRange &&
                   txn.ops[0].key == std::string(1, '\0') && txn.ops[0].end.empty();
    if (!cleanup && ++commits_ == fail_at_) return Status::IOError("injected");
    bool seal = std::any_of(txn.ops.begin(), txn.ops.end(), [](const Op& op) {
      return op.kind == Op::Kind::kDelete && op.key == keys::kRestoreMarker;
    });
    if (!seal) max_ops_ = std::max(max_ops_, txn.ops.size());
    return base_->Commit(txn);
  }
  std::string DescribeForLog() const override { return "limited+" + base_->DescribeForLog(); }
  TxnLimits BulkTxnLimits() const override { return limits_; }

 private:
  MetaStore* base_;
  TxnLimits limits_;
  int64_t fail_at_ = 0;
  int64_t commits_ = 0;
  size_t max_ops_ = 0;
};

// The source at one instant: the epoch to restore to, the changelog seq it had, and
// every meta key (plus the model of the engine history).
struct Instant {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  KeyMap keys;
  ModelState model;
};

class PitrStreamingTest : public PitrFixture {
 protected:
  // A copy of `from`: each restore records a new timeline in the backup storage it
  // restores from, so every restore here reads its own copy of the source's archive.
  std::unique_ptr<ObjectStore> CopyOf(ObjectStore* from) {
    auto copy = *OpenObjectStore(UniqueUrl("copy"), {&clock_});
    EXPECT_TRUE(ListAll(*from, "", [&](const ObjectMeta& m) {
                  CAIRN_ASSIGN_OR_RETURN(std::string bytes, from->Get(m.key));
                  return copy->Put(m.key, bytes);
                }).ok());
    return copy;
  }

  // Restores `backups` (a copy) into `target` and checks it against both oracles: the
  // map-based restore, and the source at the restored seq when a history recorded it.
  // `exact`: the restore must stop at `at`'s seq (not so in engine histories, where a
  // compaction committed after an instant may carry an epoch at or before it).
  void RestoreAndCompare(ObjectStore* backups, ObjectStore* objects, MetaStore* target,
                         MetaStore* plain_target, PointInTimeOptions options, const Instant& at,
                         bool exact = true) {
    auto copy = CopyOf(backups);
    BackupStorage storage(copy.get());
    auto plan = RestoreToPoint(&storage, objects, target, options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_TRUE(plan->written);
    if (exact) {
      EXPECT_EQ(plan->last_seq, at.seq);
    }
    KeyMap got = testing::DumpMetaKeys(plain_target);
    const KeyMap* source = plan->last_seq == at.seq ? &at.keys : nullptr;
    auto recorded = source_by_seq_.find(plan->last_seq);
    if (!source && recorded != source_by_seq_.end()) source = &recorded->second;
    if (source) {
      EXPECT_EQ(Restorable(got), Restorable(*source))
          << "differs from the source at seq " << plan->last_seq;
      ++source_compared_;
    }
    OldRestore old = MapReplay(&storage, objects, *plan);
    EXPECT_EQ(Restorable(got), old.keys) << "differs from the map-based restore";
    // Ids go at least as high as the map-based restore took them (above the restored
    // state, every later record, every snapshot, every listed object); the restore may
    // count more (other timelines' archives).
    for (const auto& [name, value] : old.ids) {
      EXPECT_GE(plan->id_generators[name], value) << "id generator " << name;
    }
    EXPECT_EQ(plan->sst_count, old.ssts);
    EXPECT_EQ(IdKeys(got), IdKeys(plan->id_generators)) << "the id generators are the head's";
    EXPECT_EQ(PinCount(got), plan->pins);
    EXPECT_FALSE(got.count(std::string(keys::kRestoreMarker)));
  }

  // ---- a history of raw meta commits (every op kind, range deletes included) ----------

  void StartOps() {
    ops_objects_ = *OpenObjectStore(UniqueUrl("ops-data"), {&clock_});
    ops_backups_ = *OpenObjectStore(UniqueUrl("ops-backup"), {&clock_});
    ops_meta_ = *OpenMetaStore(UniqueUrl("ops-meta"));
    ops_writer_ = std::make_unique<MetaWriter>(ops_meta_.get(), &clock_);
    ASSERT_TRUE(ops_writer_->Open().ok());
    Random random(5);
    ASSERT_TRUE(EnsureClusterId(ops_writer_.get(), &random).ok());
    ops_service_ = std::make_unique<BackupService>(ops_writer_.get(), ops_objects_.get(),
                                                   ops_backups_.get(), &clock_);
    ChangelogArchiverOptions options;
    options.clock = &clock_;
    options.pitr_retention_ms = kRetentionMs;
    ops_archiver_ =
        std::make_unique<ChangelogArchiver>(ops_meta_.get(), ops_backups_.get(), options);
  }

  // storage/sst/<id> for one of 40 ids, its object created with the recorded size.
  Op PutSst(uint64_t id) {
    SstMeta meta;
    meta.object_id = id;
    meta.file_size = 10 + id % 13;
    if (created_.insert(id).second) {
      EXPECT_TRUE(ops_objects_->Put(SstObjectKey(id), std::string(meta.file_size, 'x')).ok());
    }
    return Op::Put(keys::SstKey(id), EncodeSstMeta(meta));
  }

  std::string AnyKey(Random* rnd) {
    std::string n = std::to_string(rnd->Uniform(8));
    switch (rnd->Uniform(6)) {
      case 0:
        return keys::SstKey(1000 + rnd->Uniform(40));
      case 1:
        return keys::UserKey("u" + n);
      case 2:
        return keys::ParamKey("p" + n);
      case 3:
        return keys::StaleKey(1000 + rnd->Uniform(40));
      case 4:
        return keys::IdKey("gen" + n);
      default:
        return "transient/t" + n;
    }
  }

  // Range deletes that cross what a restore must keep: ids/ (then the non-gen
  // generators are put back, the source needs them), restore/, backup/, transient/, an
  // unbounded one, reversed (empty) ones.
  void AddRangeDelete(Random* rnd, Txn* txn) {
    auto sst = [&] { return keys::SstKey(1000 + rnd->Uniform(40)); };
    switch (rnd->Uniform(7)) {
      case 0:
        txn->ops.push_back(Op::DeleteRange(keys::UserKey("u" + std::to_string(rnd->Uniform(8))),
                                           keys::UserKey("u" + std::to_string(rnd->Uniform(8)))));
        break;
      case 1:
        txn->ops.push_back(Op::DeleteRange(sst(), sst()));
        break;
      case 2:
        txn->ops.push_back(Op::DeleteRange("param/", sst()));
        break;
      case 3:
        txn->ops.push_back(Op::DeleteRange("b", "c"));
        break;
      case 4:
        txn->ops.push_back(Op::DeleteRange(keys::StaleKey(1010), "user/u5"));
        break;
      case 5:
        txn->ops.push_back(Op::DeleteRange("storage/stale/", ""));
        break;
      default: {
        txn->ops.push_back(Op::DeleteRange(std::string(keys::kClusterId) + '\0', "meta/"));
        auto ids = ops_meta_->Range(keys::kIdPrefix, PrefixEnd(keys::kIdPrefix), 1000);
        ASSERT_TRUE(ids.ok());
        for (const auto& kv : *ids) {
          if (!kv.key.starts_with("ids/gen")) txn->ops.push_back(Op::Put(kv.key, kv.value));
        }
      }
    }
  }

  void AddOp(Random* rnd, Txn* txn) {
    uint64_t dice = rnd->Uniform(100);
    std::string n = std::to_string(rnd->Uniform(8));
    std::string v = "v" + std::to_string(rnd->Next() % 100000);
    if (dice < 30) return txn->ops.push_back(PutSst(1000 + rnd->Uniform(40)));
    if (dice < 42) return txn->ops.push_back(Op::Put(keys::UserKey("u" + n), v));
    if (dice < 50) return txn->ops.push_back(Op::Put(keys::ParamKey("p" + n), v));
    if (dice < 56) return txn->ops.push_back(Op::Put(keys::StaleKey(1000 + rnd->Uniform(40)), v));
    if (dice < 61) {
      return txn->ops.push_back(Op::Put(keys::IdKey("gen" + n), std::to_string(rnd->Uniform(999))));
    }
    if (dice < 65) return txn->ops.push_back(Op::Put("transient/t" + n, v));
    if (dice < 85) return txn->ops.push_back(Op::Delete(AnyKey(rnd)));
    AddRangeDelete(rnd, txn);
  }

  // Commits that end a history with range deletes across restore/ and transient/,
  // backup/, and ids/: if they reached the target unclipped, they would remove the
  // marker, the pins or the id generators the restore head wrote.
  void AddCrossingRangeDeletes() {
    for (int i = 0; i < 3; ++i) {
      clock_.Advance(10);
      Txn txn;
      if (i == 0) txn.ops.push_back(Op::DeleteRange("meta/", ""));
      if (i == 1) txn.ops.push_back(Op::DeleteRange("b", "c"));
      if (i == 2) {
        txn.ops.push_back(Op::DeleteRange(std::string(keys::kClusterId) + '\0', "meta/"));
        auto ids = ops_meta_->Range(keys::kIdPrefix, PrefixEnd(keys::kIdPrefix), 1000);
        ASSERT_TRUE(ids.ok());
        for (const auto& kv : *ids) txn.ops.push_back(Op::Put(kv.key, kv.value));
      }
      txn.ops.push_back(Op::Put(keys::UserKey("after-" + std::to_string(i)), "1"));
      ASSERT_TRUE(ops_writer_->Commit(std::move(txn)).ok());
    }
  }

  Instant OpsInstant() {
    Instant at{MaxEpochAtMillis(clock_.NowMillis()),
               ops_writer_->last_seq(),
               testing::DumpMetaKeys(ops_meta_.get()),
               {}};
    source_by_seq_[at.seq] = at.keys;
    return at;
  }

  // `steps` random commits (1-6 ops each) with backups and archiver passes between them;
  // the source at every instant after a step.
  std::vector<Instant> RunOpsHistory(uint64_t seed, int steps) {
    StartOps();
    Random rnd(seed);
    EXPECT_TRUE(ops_service_->Create("initial").ok());
    std::vector<Instant> instants;
    for (int i = 0; i < steps; ++i) {
      clock_.Advance(1 + rnd.Uniform(300));
      Txn txn;
      for (int k = 0, n = 1 + rnd.Uniform(6); k < n; ++k) AddOp(&rnd, &txn);
      auto committed = ops_writer_->Commit(std::move(txn));
      EXPECT_TRUE(committed.ok()) << committed.status().ToString();
      if (rnd.Percent(8)) {
        EXPECT_TRUE(ops_service_->Create("step").ok());
      }
      if (rnd.Percent(25)) {
        EXPECT_TRUE(ops_archiver_->ArchiveOnce().ok());
      }
      instants.push_back(OpsInstant());
    }
    EXPECT_TRUE(ops_archiver_->ArchiveOnce().ok());
    return instants;
  }

  // RunOpsHistory(seed, 40), then range deletes crossing its keys, all archived; `latest`
  // is the source at the end (what a restore to latest returns).
  void ArchivedOpsHistoryWithRangeDeletes(uint64_t seed, Instant* latest) {
    RunOpsHistory(seed, 40);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_NO_FATAL_FAILURE(AddCrossingRangeDeletes());
    ASSERT_TRUE(ops_archiver_->ArchiveOnce().ok());
    *latest = OpsInstant();
  }

  // ---- an engine history (as pitr_history_test) ---------------------------------------

  std::vector<Instant> RunEngineHistory(uint64_t seed, int steps) {
    Random rnd(seed);
    ModelState model;
    std::vector<Instant> instants;
    EXPECT_TRUE(service_->Create("initial").ok());
    for (int i = 0; i < steps; ++i) {
      clock_.Advance(50 + rnd.Uniform(2000));
      RandomStep(&rnd, &model);
      if (HasFatalFailure()) return instants;
      EXPECT_TRUE(source_.cluster->Flush().ok());
      instants.push_back({MaxEpochAtMillis(clock_.NowMillis()), source_.writer->last_seq(),
                          testing::DumpMetaKeys(source_.meta.get()), model});
      source_by_seq_[instants.back().seq] = instants.back().keys;
      if (rnd.Percent(30)) {
        EXPECT_TRUE(archiver_->ArchiveOnce().ok());
      }
    }
    EXPECT_TRUE(archiver_->ArchiveOnce().ok());
    return instants;
  }

  std::unique_ptr<ObjectStore> ops_objects_, ops_backups_;
  std::unique_ptr<MetaStore> ops_meta_;
  std::unique_ptr<MetaWriter> ops_writer_;
  std::unique_ptr<BackupService> ops_service_;
  std::unique_ptr<ChangelogArchiver> ops_archiver_;
  std::set<uint64_t> created_;
  std::map<uint64_t, KeyMap> source_by_seq_;  // the source's keys at recorded seqs
  size_t source_compared_ = 0;
};

class PitrStreamingSeeds : public PitrStreamingTest,
                           public ::testing::WithParamInterface<uint64_t> {};
class PitrStreamingEngineSeeds : public PitrStreamingTest,
                                 public ::testing::WithParamInterface<uint64_t> {};

// Every instant of a history of raw commits (puts, deletes, range deletes over every
// prefix), each restored in transactions of 2-7 ops (some of 200 bytes), equals the
// source's keys at that seq and the map-based restore; a dry run writes nothing and
// plans the same.
TEST_P(PitrStreamingSeeds, RawCommitHistoryEqualsSourceAndMapReplayAtEveryInstant) {
  std::vector<Instant> instants = RunOpsHistory(GetParam(), 150);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(instants.size(), 150u);
  Random rnd(GetParam() * 7 + 1);
  for (size_t i = 0; i < instants.size(); ++i) {
    SCOPED_TRACE("instant " + std::to_string(i) + ", seq " + std::to_string(instants[i].seq));
    auto target = *OpenMetaStore(UniqueUrl("target"));
    LimitedStore limited(target.get(), {2 + rnd.Uniform(6), rnd.Percent(20) ? 200u : 1u << 20});
    PointInTimeOptions options = Options();
    options.to_epoch = instants[i].epoch;
    RestoreAndCompare(ops_backups_.get(), ops_objects_.get(), &limited, target.get(), options,
                      instants[i]);
    if (HasFatalFailure()) return;
    EXPECT_LE(limited.max_ops(), limited.BulkTxnLimits().max_ops);
    if (i % 10 != 0) continue;
    auto dry_target = *OpenMetaStore(UniqueUrl("dry"));
    options.dry_run = true;
    auto copy = CopyOf(ops_backups_.get());
    BackupStorage storage(copy.get());
    auto dry = RestoreToPoint(&storage, ops_objects_.get(), dry_target.get(), options);
    ASSERT_TRUE(dry.ok()) << dry.status().ToString();
    EXPECT_FALSE(dry->written);
    EXPECT_TRUE(testing::DumpMetaKeys(dry_target.get()).empty());
    EXPECT_EQ(dry->last_seq, instants[i].seq);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PitrStreamingSeeds, ::testing::Range<uint64_t>(1, 9));

// Engine histories (writes, deletes, DDL, users, params, compactions, vacuums, backups):
// every instant restored in transactions of 5 ops equals the model and the map-based
// restore, and the source's keys at the restored seq whenever the history recorded it.
TEST_P(PitrStreamingEngineSeeds, EngineHistoryEqualsModelSourceAndMapReplayAtEveryInstant) {
  std::vector<Instant> instants = RunEngineHistory(GetParam() + 100, 80);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(instants.size(), 80u);
  for (size_t i = 0; i < instants.size(); ++i) {
    SCOPED_TRACE("instant " + std::to_string(i) + ", seq " + std::to_string(instants[i].seq));
    std::string url = UniqueUrl("restored");
    auto target = *OpenMetaStore(url);
    LimitedStore limited(target.get(), {5, 1 << 20});
    PointInTimeOptions options = Options();
    options.to_epoch = instants[i].epoch;
    RestoreAndCompare(backups_.get(), objects_.get(), &limited, target.get(), options, instants[i],
                      /*exact=*/false);
    if (HasFatalFailure()) return;
    Node restored;
    restored.meta = *OpenMetaStore(url);  // mem:// stores of one name share their data
    ASSERT_TRUE(restored.Open(objects_.get(), &clock_).ok());
    EXPECT_EQ(DumpNode(&restored), instants[i].model);
    restored.Close();
  }
  EXPECT_GT(source_compared_, instants.size() / 2) << "too few restores compared to the source";
}

INSTANTIATE_TEST_SUITE_P(Seeds, PitrStreamingEngineSeeds, ::testing::Values(1, 2, 3));

// A restore bigger than one transaction: the snapshot and the replay both take many,
// none larger than the target's limit, and the result is the same.
TEST_F(PitrStreamingTest, RestoreLargerThanOneTransactionUsesManyWithinTheLimits) {
  RunOpsHistory(42, 100);
  ASSERT_FALSE(HasFatalFailure());
  auto put_users = [&](int first, int count) {
    for (int i = first; i < first + count; i += 10) {
      clock_.Advance(5);
      Txn txn;
      for (int k = i; k < i + 10; ++k) {
        txn.ops.push_back(Op::Put(keys::UserKey("many-" + std::to_string(k)), "x"));
      }
      ASSERT_TRUE(ops_writer_->Commit(std::move(txn)).ok());
    }
  };
  ASSERT_NO_FATAL_FAILURE(put_users(0, 200));
  ASSERT_TRUE(ops_service_->Create("big").ok());
  ASSERT_NO_FATAL_FAILURE(put_users(200, 200));
  ASSERT_NO_FATAL_FAILURE(AddCrossingRangeDeletes());
  ASSERT_NO_FATAL_FAILURE(put_users(100, 200));
  ASSERT_TRUE(ops_archiver_->ArchiveOnce().ok());
  auto target = *OpenMetaStore(UniqueUrl("target"));
  LimitedStore limited(target.get(), {8, 1 << 20});
  PointInTimeOptions options = Options();
  options.to_latest = true;
  RestoreAndCompare(ops_backups_.get(), ops_objects_.get(), &limited, target.get(), options,
                    OpsInstant());
  EXPECT_LE(limited.max_ops(), 8u);
  EXPECT_GT(limited.commits(), 200 / 8 + 400 / 8);
}

// Pass 1 verifies the SSTs of the replayed state, not the snapshot's: one put after the
// snapshot whose object is gone is refused before anything is written; once a later
// record deletes that key, the restore to after it works.
TEST_F(PitrStreamingTest, MissingSstOfTheReplayedStateIsRefusedBeforeAnyWrite) {
  RunOpsHistory(11, 20);
  ASSERT_FALSE(HasFatalFailure());
  clock_.Advance(10);
  Txn put;
  put.ops.push_back(PutSst(5000));
  ASSERT_TRUE(ops_writer_->Commit(std::move(put)).ok());
  Instant with_sst = OpsInstant();
  clock_.Advance(10);
  ASSERT_TRUE(ops_writer_->Commit({{}, {Op::Delete(keys::SstKey(5000))}}).ok());
  ASSERT_TRUE(ops_archiver_->ArchiveOnce().ok());
  Instant without = OpsInstant();
  ASSERT_TRUE(ops_objects_->Delete(SstObjectKey(5000)).ok());

  auto target = *OpenMetaStore(UniqueUrl("target"));
  PointInTimeOptions options = Options();
  options.to_epoch = with_sst.epoch;
  auto copy = CopyOf(ops_backups_.get());
  BackupStorage storage(copy.get());
  auto plan = RestoreToPoint(&storage, ops_objects_.get(), target.get(), options);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kNotFound) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find(SstObjectKey(5000)), std::string::npos)
      << plan.status().ToString();
  EXPECT_TRUE(testing::DumpMetaKeys(target.get()).empty());
  options.to_epoch = without.epoch;
  RestoreAndCompare(ops_backups_.get(), ops_objects_.get(), target.get(), target.get(), options,
                    without);
}

// A crash of the target after every possible number of commits leaves it empty or
// marked as an unfinished restore; rerunning the restore completes it.
TEST_F(PitrStreamingTest, CrashAtEveryCommitLeavesEmptyOrMarkedAndARerunCompletes) {
  Instant latest;
  ASSERT_NO_FATAL_FAILURE(ArchivedOpsHistoryWithRangeDeletes(9, &latest));
  PointInTimeOptions options = Options();
  options.to_latest = true;
  bool completed = false;
  for (int64_t commits = 0; !completed && commits < 500; ++commits) {
    SCOPED_TRACE("crash after " + std::to_string(commits) + " commits");
    std::string url = UniqueUrl("target");
    auto plain = *OpenMetaStore(url);
    FaultMetaStore faulty(*OpenMetaStore(url), FaultOptions{});
    faulty.CrashAfter(commits);
    LimitedStore limited(&faulty, {3, 1 << 20});
    auto copy = CopyOf(ops_backups_.get());
    BackupStorage storage(copy.get());
    auto plan = RestoreToPoint(&storage, ops_objects_.get(), &limited, options);
    completed = plan.ok();
    if (!completed) {
      bool empty = testing::DumpMetaKeys(plain.get()).empty();
      bool marked = (*ReadRestoreMarker(plain.get())).has_value();
      ASSERT_TRUE(empty || marked) << "a crash left a half-restored, unmarked target";
      LimitedStore rerun(plain.get(), {3, 1 << 20});
      RestoreAndCompare(ops_backups_.get(), ops_objects_.get(), &rerun, plain.get(), options,
                        latest);
    } else {
      EXPECT_GT(commits, 10) << "the restore should take many commits";
      EXPECT_EQ(Restorable(testing::DumpMetaKeys(plain.get())), Restorable(latest.keys));
    }
    if (HasFatalFailure()) return;
  }
  EXPECT_TRUE(completed) << "the restore never completed within 500 commits";
}

// A failed commit at any step of the write (the cleanup works): the target is left
// empty and says so; a rerun on it completes.
TEST_F(PitrStreamingTest, FailedCommitAtEveryStepLeavesTheTargetEmptyAndARerunCompletes) {
  Instant latest;
  ASSERT_NO_FATAL_FAILURE(ArchivedOpsHistoryWithRangeDeletes(10, &latest));
  PointInTimeOptions options = Options();
  options.to_latest = true;
  bool completed = false;
  for (int64_t fail = 1; !completed && fail < 500; ++fail) {
    SCOPED_TRACE("commit " + std::to_string(fail) + " fails");
    auto target = *OpenMetaStore(UniqueUrl("target"));
    LimitedStore failing(target.get(), {3, 1 << 20});
    failing.FailCommit(fail);
    auto copy = CopyOf(ops_backups_.get());
    BackupStorage storage(copy.get());
    auto plan = RestoreToPoint(&storage, ops_objects_.get(), &failing, options);
    completed = plan.ok();
    if (completed) break;
    EXPECT_NE(plan.status().message().find("left empty"), std::string::npos)
        << plan.status().ToString();
    EXPECT_TRUE(testing::DumpMetaKeys(target.get()).empty());
    LimitedStore rerun(target.get(), {3, 1 << 20});
    RestoreAndCompare(ops_backups_.get(), ops_objects_.get(), &rerun, target.get(), options,
                      latest);
    if (HasFatalFailure()) return;
  }
  EXPECT_TRUE(completed);
}

}  // namespace
}  // namespace cairn::pitr_test
