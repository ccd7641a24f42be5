// Memtable (skiplist + arena): sorted iteration with the latest write per key, Seek by
// internal key, and readers running while the writer inserts.
#include "storage/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "common/random.h"
#include "storage/arena.h"

namespace cairn {
namespace {

constexpr uint64_t kEpoch = 77;

// Table id 1 + `key`: the user part the cluster stores.
std::string U(const std::string& key) { return sst::MakeUserPart(1, key); }

std::string Ikey(const std::string& key, uint64_t epoch, sst::ValueKind kind) {
  std::string k;
  sst::AppendInternalKey(&k, U(key), epoch, kind);
  return k;
}

std::map<std::string, std::string> Contents(const Memtable& mem) {
  std::map<std::string, std::string> out;
  auto it = mem.NewIterator();
  std::string prev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string user(sst::UserPart(it->key()));
    EXPECT_TRUE(out.empty() || prev < user) << "not strictly sorted at " << user;
    sst::ParsedInternalKey parsed;
    EXPECT_TRUE(sst::ParseInternalKey(it->key(), &parsed));
    EXPECT_EQ(parsed.epoch, kEpoch);
    out[user] = (parsed.kind == sst::ValueKind::kDelete ? "DEL:" : "") + std::string(it->value());
    prev = user;
  }
  return out;
}

TEST(MemtableTest, LatestWritePerKeyInKeyOrder) {
  Memtable mem(kEpoch);
  EXPECT_TRUE(mem.empty());
  std::map<std::string, std::string> model;
  Random rnd(5);
  for (int i = 0; i < 5000; ++i) {
    std::string key = U("k" + std::to_string(rnd.Uniform(800)));
    if (rnd.Uniform(4) == 0) {
      mem.Add(key, sst::ValueKind::kDelete, "");
      model[key] = "DEL:";
    } else {
      std::string value = rnd.Bytes(rnd.Uniform(3) == 0 ? 2000 : 20);  // some past a block
      mem.Add(key, sst::ValueKind::kPut, value);
      model[key] = value;
    }
  }
  EXPECT_FALSE(mem.empty());
  EXPECT_GT(mem.approximate_bytes(), 5000u * 20);
  EXPECT_EQ(Contents(mem), model);
}

TEST(MemtableTest, SeekFindsTheFirstInternalKeyAtOrAfterTheTarget) {
  Memtable mem(kEpoch);
  mem.Add(U("b"), sst::ValueKind::kPut, "old");
  mem.Add(U("d"), sst::ValueKind::kPut, "d1");
  mem.Add(U("b"), sst::ValueKind::kPut, "new");
  auto it = mem.NewIterator();
  it->Seek(Ikey("a", 1, sst::ValueKind::kPut));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(sst::UserPart(it->key()), U("b"));
  EXPECT_EQ(it->value(), "new");
  // Same user part at a newer epoch sorts before the entry; at an older one after it.
  it->Seek(Ikey("b", kEpoch + 1, sst::ValueKind::kPut));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(sst::UserPart(it->key()), U("b"));
  it->Seek(Ikey("b", kEpoch - 1, sst::ValueKind::kPut));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(sst::UserPart(it->key()), U("d"));
  it->Seek(Ikey("e", kEpoch, sst::ValueKind::kPut));
  EXPECT_FALSE(it->Valid());
}

TEST(MemtableTest, ReadersIterateWhileTheWriterInserts) {
  Memtable mem(kEpoch);
  constexpr int kKeys = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    size_t last = 0;
    while (!done.load()) {
      size_t n = 0;
      std::string prev;
      auto it = mem.NewIterator();
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
        std::string user(sst::UserPart(it->key()));
        // Every value is its key's name: a torn entry would show up here.
        if ((n > 0 && !(prev < user)) || it->value() != user) bad++;
        prev = user;
      }
      if (n < last) bad++;  // nothing is ever removed
      last = n;
    }
  });
  Random rnd(9);
  for (int i = 0; i < kKeys; ++i) {
    std::string key = U("key" + std::to_string(rnd.Next()));
    mem.Add(key, sst::ValueKind::kPut, key);
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Contents(mem).size(), static_cast<size_t>(kKeys));
}

TEST(ArenaTest, AlignedAllocationsAndLargeBlocks) {
  Arena arena;
  for (int i = 0; i < 1000; ++i) {
    char* p = arena.Allocate(1 + i % 7);
    p[0] = 'x';
    char* q = arena.AllocateAligned(24);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 8, 0u);
  }
  size_t before = arena.MemoryUsage();
  char* big = arena.Allocate(1 << 20);
  big[(1 << 20) - 1] = 'y';
  EXPECT_GE(arena.MemoryUsage(), before + (1 << 20));
}

}  // namespace
}  // namespace cairn
