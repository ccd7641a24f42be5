// The changelog property (design.md §4): for random mutation sequences through
// MetaWriter, touching keys under every registry prefix, a snapshot at seq S plus
// the replay of records S+1..T (decoded from changelog/ keys) equals the store at T
// byte for byte (changelog/ keys aside). Runs on mem:// and sqlite://.
#include <gtest/gtest.h>

#include <map>

#include "common/random.h"
#include "meta/changelog.h"
#include "meta/keys.h"
#include "meta/meta_writer.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

using State = std::map<std::string, std::string>;

// Every prefix in the registry except the changelog's own keys, which only
// MetaWriter writes. Single keys (storage/version, cluster/id, ...) are used as is.
std::vector<std::string> WritablePrefixes() {
  std::vector<std::string> out;
  for (auto p : keys::kSnapshotPrefixes) {
    if (p != keys::kChangelogSeq) out.emplace_back(p);
  }
  for (auto p : keys::kExcludedPrefixes) {
    if (p != keys::kChangelogPrefix) out.emplace_back(p);
  }
  return out;
}

bool IsPrefix(const std::string& p) { return !p.empty() && p.back() == '/'; }

std::string RandomKey(Random* random, const std::vector<std::string>& prefixes) {
  const std::string& p = prefixes[random->Uniform(prefixes.size())];
  if (!IsPrefix(p)) return p;
  // A small key space so that overwrites, deletes and range deletes hit live keys.
  std::string suffix(1, static_cast<char>('a' + random->Uniform(8)));
  if (random->OneIn(3)) suffix.push_back(static_cast<char>(random->Uniform(256)));
  return p + suffix;
}

Op RandomOp(Random* random, const std::vector<std::string>& prefixes) {
  std::string key = RandomKey(random, prefixes);
  switch (random->Uniform(10)) {
    case 0:
    case 1:
      return Op::Delete(key);
    case 2: {
      // A range inside one prefix (or just past a single key), never reaching the
      // changelog keys.
      std::string end = key;
      end.back() = static_cast<char>(end.back() + 1 + random->Uniform(3));
      if (static_cast<unsigned char>(end.back()) <= static_cast<unsigned char>(key.back())) {
        end = key + '\xff';
      }
      return Op::DeleteRange(key, end);
    }
    default: {
      std::string value = random->Bytes(random->Uniform(40));
      if (random->OneIn(4)) value.push_back('\0');
      return Op::Put(key, value);
    }
  }
}

State Dump(MetaStore* store) {
  State out;
  auto rows = store->Range("", "", 1 << 20);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  for (auto& kv : *rows) {
    if (kv.key.rfind(keys::kChangelogPrefix, 0) != 0) out[kv.key] = kv.value;
  }
  return out;
}

// Replays the records after `snapshot_seq` from the store's changelog keys.
State Replay(MetaStore* store, State state, uint64_t snapshot_seq, uint64_t last_seq) {
  auto rows =
      store->Range(keys::ChangelogKey(snapshot_seq + 1), keys::ChangelogKey(last_seq + 1), 1 << 20);
  EXPECT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), last_seq - snapshot_seq);
  uint64_t expect_seq = snapshot_seq + 1;
  for (const KeyValue& kv : *rows) {
    auto record = DecodeChangelogRecord(kv.value);
    EXPECT_TRUE(record.ok()) << kv.key << ": " << record.status().ToString();
    if (!record.ok()) return state;
    EXPECT_EQ(record->seq, expect_seq++);
    ApplyChangelogRecord(*record, &state);
  }
  return state;
}

void RunProperty(const std::string& url, uint64_t seed, int txns) {
  SCOPED_TRACE("store " + url + " seed " + std::to_string(seed));
  auto store = OpenMetaStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ManualClock clock;
  MetaWriter writer(store->get(), &clock);
  ASSERT_TRUE(writer.Open().ok());
  Random random(seed);
  auto prefixes = WritablePrefixes();

  std::map<uint64_t, State> snapshots{{0, {}}};
  for (int i = 0; i < txns; ++i) {
    Txn txn;
    size_t ops = 1 + random.Uniform(5);
    for (size_t j = 0; j < ops; ++j) txn.ops.push_back(RandomOp(&random, prefixes));
    clock.Advance(1 + random.Uniform(1000));
    auto committed = writer.Commit(std::move(txn));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    if (random.OneIn(10)) snapshots[committed->seq] = Dump(store->get());
  }
  uint64_t last = writer.last_seq();
  ASSERT_EQ(last, static_cast<uint64_t>(txns));
  State expected = Dump(store->get());
  for (const auto& [seq, snapshot] : snapshots) {
    State replayed = Replay(store->get(), snapshot, seq, last);
    ASSERT_EQ(replayed, expected) << "replay from seq " << seq << " to " << last;
  }
}

TEST(ChangelogReplayTest, SnapshotPlusReplayEqualsStoreOnMem) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    RunProperty("mem://changelog-replay-" + std::to_string(seed), seed, 300);
  }
}

TEST(ChangelogReplayTest, SnapshotPlusReplayEqualsStoreOnSqlite) {
  testing::TempDir dir;
  for (uint64_t seed = 100; seed < 104; ++seed) {
    RunProperty("sqlite://" + dir.Sub("meta-" + std::to_string(seed) + ".db"), seed, 200);
  }
}

TEST(ChangelogReplayTest, EveryRecordIsInTheSameTransactionAsItsChange) {
  // A failed compare writes neither the change nor a record.
  auto store = OpenMetaStore("mem://changelog-atomic");
  ASSERT_TRUE(store.ok());
  ManualClock clock;
  MetaWriter writer(store->get(), &clock);
  ASSERT_TRUE(writer.Open().ok());
  Txn txn;
  txn.compares.push_back(Compare::Exists("user/nobody"));
  txn.ops.push_back(Op::Put("user/x", "1"));
  EXPECT_TRUE(writer.Commit(std::move(txn)).status().IsConflict());
  EXPECT_EQ(writer.last_seq(), 0u);
  EXPECT_TRUE(Dump(store->get()).empty());
  auto records =
      (*store)->Range(std::string(keys::kChangelogPrefix), PrefixEnd(keys::kChangelogPrefix), 10);
  EXPECT_TRUE(records->empty());
}

}  // namespace
}  // namespace cairn
