// Scans over long runs of tombstones notice cancellation (ReadOptions::cancelled) after a
// bounded number of entries, both on a hand-made internal-key stream that counts the
// entries stepped over and through a real cluster.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sst/internal_key.h"
#include "storage/scan_iterator.h"
#include "storage/storage_test_env.h"

namespace cairn {
namespace {

// An internal-key stream over a vector that counts Next() calls.
class CountingIterator final : public sst::Iterator {
 public:
  CountingIterator(std::vector<std::pair<std::string, std::string>> entries, uint64_t* nexts)
      : entries_(std::move(entries)), nexts_(nexts) {}
  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void Seek(std::string_view target) override {
    pos_ = 0;
    while (pos_ < entries_.size() && sst::CompareInternalKeys(entries_[pos_].first, target) < 0)
      ++pos_;
  }
  void Next() override {
    ++pos_;
    ++*nexts_;
  }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return Status::OK(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  uint64_t* nexts_;
  size_t pos_ = 0;
};

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%08d", i);
  return buf;
}

// `deleted` tombstoned keys (each with an older put) followed by one live key.
std::vector<std::pair<std::string, std::string>> TombstoneRun(int deleted) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < deleted; ++i) {
    entries.emplace_back(sst::MakeInternalKey(1, Key(i), 20, sst::ValueKind::kDelete), "");
    entries.emplace_back(sst::MakeInternalKey(1, Key(i), 10, sst::ValueKind::kPut), "old");
  }
  entries.emplace_back(sst::MakeInternalKey(1, Key(deleted), 10, sst::ValueKind::kPut), "live");
  return entries;
}

TEST(ScanCancelTest, UncancelledScanSkipsEveryTombstone) {
  uint64_t nexts = 0;
  int polls = 0;
  auto it = NewUserScanIterator(std::make_unique<CountingIterator>(TombstoneRun(50'000), &nexts),
                                nullptr, 1, "", "", 30, [&] { return ++polls, false; });
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(50'000));
  EXPECT_EQ(it->value(), "live");
  EXPECT_EQ(nexts, 100'000u);
  EXPECT_EQ(polls, static_cast<int>(100'000 / kScanCancelCheckEntries));
}

TEST(ScanCancelTest, CancelledScanStopsWithinOneCheckInterval) {
  uint64_t nexts = 0;
  int polls = 0;
  // Cancelled at the third poll: the scan must stop there, not walk the 400k entries.
  auto it = NewUserScanIterator(std::make_unique<CountingIterator>(TombstoneRun(200'000), &nexts),
                                nullptr, 1, "", "", 30, [&] { return ++polls >= 3; });
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().code() == ErrorCode::kAborted) << it->status().ToString();
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(nexts, 3 * kScanCancelCheckEntries);
}

TEST(ScanCancelTest, CancellationAlsoStopsRunsOfNewerVersions) {
  // Versions newer than the read epoch are stepped over too: still counted.
  std::vector<std::pair<std::string, std::string>> entries;
  for (int e = 100'000; e > 100; --e) {
    entries.emplace_back(sst::MakeInternalKey(1, "k", e, sst::ValueKind::kPut), "new");
  }
  uint64_t nexts = 0;
  auto it = NewUserScanIterator(std::make_unique<CountingIterator>(std::move(entries), &nexts),
                                nullptr, 1, "", "", 50, [] { return true; });
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().code() == ErrorCode::kAborted);
  EXPECT_EQ(nexts, kScanCancelCheckEntries);
}

TEST(ScanCancelTest, ClusterScanOverDeletedKeysHonoursCancel) {
  testing::StorageEnv env;
  ASSERT_TRUE(env.Open().ok());
  auto table = env.cluster->CreateTable("t");
  ASSERT_TRUE(table.ok());
  const int n = 20'000;
  WriteBatch puts, deletes;
  for (int i = 0; i < n; ++i) puts.Put(table->id, Key(i), "v");
  ASSERT_TRUE(env.cluster->Write(puts, true).ok());
  for (int i = 0; i < n; ++i) deletes.Delete(table->id, Key(i));
  ASSERT_TRUE(env.cluster->Write(deletes, true).ok());
  ASSERT_TRUE(env.cluster->Flush().ok());

  int polls = 0;
  ReadOptions cancelled;
  cancelled.cancelled = [&] { return ++polls >= 2; };
  auto it = env.cluster->Scan(table->id, "", "", cancelled);
  ASSERT_TRUE(it.ok());
  EXPECT_FALSE((*it)->Valid());
  EXPECT_TRUE((*it)->status().code() == ErrorCode::kAborted) << (*it)->status().ToString();
  EXPECT_EQ(polls, 2);

  // Not cancelled: the same scan ends normally with no rows.
  auto all = testing::ScanAll(env.cluster.get(), table->id);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace cairn
