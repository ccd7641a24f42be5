// The cluster's TableReader cache: a reader that raced a compaction leaves nothing of
// the removed SSTs cached, the cache stays within max_open_tables, scans open only the
// SSTs they reach, and Version::Apply shares the SSTs it does not change.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sst/internal_key.h"
#include "storage/storage_test_env.h"
#include "storage/version.h"
#include "testing/forwarding_object_store.h"

namespace cairn {
namespace {

using testing::StorageEnv;

// Forwards to `base`; runs `on_sst_head` (once, then disarmed) inside the first Head of
// an SST object, i.e. in the middle of a TableReader::Open. Counts SST Heads (= opens).
class GatedObjectStore final : public testing::ForwardingObjectStore {
 public:
  using ForwardingObjectStore::ForwardingObjectStore;

  Result<ObjectMeta> Head(std::string_view k) override {
    uint64_t id = 0;
    if (ParseSstObjectKey(k, &id)) {
      ++sst_heads;
      if (on_sst_head) std::exchange(on_sst_head, nullptr)();
    }
    return base()->Head(k);
  }
  std::string DescribeForLog() const override { return "gated+" + base()->DescribeForLog(); }

  std::function<void()> on_sst_head;
  int sst_heads = 0;
};

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%06d", i);
  return buf;
}

class TableCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.Open().ok());
    gated_ = std::make_unique<GatedObjectStore>(env_.objects());
    ASSERT_TRUE(env_.Open(nullptr, gated_.get()).ok());
    auto t = env_.cluster->CreateTable("t");
    ASSERT_TRUE(t.ok());
    table_ = t->id;
  }
  // One checkpoint SST holding keys [0, n) with `value`.
  void WriteSst(int n, const std::string& value) {
    WriteBatch b;
    for (int i = 0; i < n; ++i) b.Put(table_, Key(i), value);
    ASSERT_TRUE(env_.cluster->Write(b, true).ok());
    ASSERT_TRUE(env_.cluster->Flush().ok());
  }
  uint64_t OpenTables() { return env_.cluster->Stats().open_tables; }

  StorageEnv env_;
  std::unique_ptr<GatedObjectStore> gated_;
  uint32_t table_ = 0;
};

TEST_F(TableCacheTest, ReaderThatRacedACompactionLeavesNothingCached) {
  WriteSst(100, "old");
  WriteSst(100, "new");  // overlaps: compaction must merge the two into a new SST
  ASSERT_EQ(env_.cluster->Stats().levels[0].sst_count, 2u);
  std::set<uint64_t> before = env_.VersionObjects();

  // A Get takes the version with both L0 SSTs; while it opens the first one, a full
  // compaction replaces them (and erases their cache entries: none yet).
  bool raced = false;
  gated_->on_sst_head = [&] {
    raced = true;
    ASSERT_TRUE(env_.cluster->Compact().ok());
  };
  auto got = env_.cluster->Get(table_, Key(7), {});
  ASSERT_TRUE(raced);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(**got, "new");
  std::set<uint64_t> after = env_.VersionObjects();
  for (uint64_t id : before) ASSERT_FALSE(after.count(id)) << "compaction kept SST " << id;
  // The raced reader of a removed SST was not cached.
  EXPECT_EQ(OpenTables(), 0u);

  env_.clock.Advance(1000);  // past the stale epoch (retention 0)
  auto report = env_.cluster->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, before.size());
  EXPECT_EQ(OpenTables(), 0u);
  // Reads go to the compacted SST, which is cached.
  got = env_.cluster->Get(table_, Key(8), {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(**got, "new");
  EXPECT_EQ(OpenTables(), 1u);
}

TEST_F(TableCacheTest, ReadersOfSstsThatLeftTheVersionAreErased) {
  WriteSst(100, "a");
  WriteSst(100, "b");
  ASSERT_TRUE(env_.cluster->Get(table_, Key(1), {}).ok());
  ASSERT_TRUE(testing::ScanAll(env_.cluster.get(), table_).ok());
  EXPECT_EQ(OpenTables(), 2u);
  ASSERT_TRUE(env_.cluster->Compact().ok());
  EXPECT_EQ(OpenTables(), 0u);
}

TEST_F(TableCacheTest, CacheKeepsAtMostMaxOpenTables) {
  env_.options.max_open_tables = 2;
  ASSERT_TRUE(env_.Open(nullptr, gated_.get()).ok());
  for (int i = 0; i < 5; ++i) WriteSst(50, "v" + std::to_string(i));
  ASSERT_EQ(env_.cluster->Stats().levels[0].sst_count, 5u);
  auto rows = testing::ScanAll(env_.cluster.get(), table_);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 50u);
  EXPECT_EQ(rows->at(Key(3)), "v4");
  EXPECT_EQ(OpenTables(), 2u);
}

TEST_F(TableCacheTest, ScanOpensOnlyTheSstsItReaches) {
  env_.options.target_sst_bytes = 4 << 10;
  ASSERT_TRUE(env_.Open(nullptr, gated_.get()).ok());
  std::string value(200, 'x');
  WriteSst(2000, value);
  ASSERT_TRUE(env_.cluster->Compact().ok());
  size_t ssts = env_.VersionObjects().size();
  ASSERT_GT(ssts, 20u);
  ASSERT_TRUE(env_.Open(nullptr, gated_.get()).ok());  // empty cache
  int heads = gated_->sst_heads;
  auto it = env_.cluster->Scan(table_, Key(1000), "", {});
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE((*it)->Valid());
  EXPECT_EQ((*it)->key(), Key(1000));
  // One SST per level holding data, not one per SST of the table.
  EXPECT_LE(gated_->sst_heads - heads, 2);
  EXPECT_LE(OpenTables(), 2u);
  // Reading on walks into the following SSTs one at a time, in order.
  int n = 0;
  for (; (*it)->Valid(); (*it)->Next()) ASSERT_EQ((*it)->key(), Key(1000 + n++));
  ASSERT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
  EXPECT_EQ(n, 1000);
}

SstMeta File(uint64_t id, int level, const std::string& lo, const std::string& hi) {
  SstMeta m;
  m.object_id = id;
  m.level = level;
  m.min_epoch = id;
  m.max_epoch = id;
  m.file_size = id;
  m.smallest_key = sst::MakeInternalKey(1, lo, id, sst::ValueKind::kPut);
  m.largest_key = sst::MakeInternalKey(1, hi, id, sst::ValueKind::kPut);
  return m;
}

TEST(VersionApplyTest, SharesUnchangedSstsAndKeepsLevelsSorted) {
  std::vector<SstMeta> files;
  for (int i = 0; i < 10; ++i) files.push_back(File(i + 1, 1, Key(i * 10), Key(i * 10 + 5)));
  files.push_back(File(20, 0, Key(0), Key(99)));
  auto v1 = Version::Make(1, files);
  ASSERT_TRUE(v1.ok());
  VersionEdit edit;
  edit.removed = {3, 20};
  edit.added = {File(30, 1, Key(21), Key(24)), File(31, 1, Key(95), Key(96)),
                File(32, 0, Key(1), Key(2))};
  auto v2 = (*v1)->Apply(2, edit);
  ASSERT_TRUE(v2.ok());
  EXPECT_FALSE((*v2)->Contains(3));
  EXPECT_FALSE((*v2)->Contains(20));
  EXPECT_TRUE((*v2)->Contains(30));
  EXPECT_TRUE((*v2)->Contains(32));
  EXPECT_EQ((*v2)->size(), 12u);
  const auto& l1 = (*v2)->level(1);
  ASSERT_EQ(l1.size(), 11u);
  for (size_t i = 1; i < l1.size(); ++i) {
    EXPECT_LT(sst::CompareInternalKeys(l1[i - 1]->smallest_key, l1[i]->smallest_key), 0);
  }
  // Unchanged SSTs are the same objects, not copies.
  for (const SstRef& f : (*v1)->level(1)) {
    if (f->object_id == 3) continue;
    bool shared = false;
    for (const SstRef& g : l1) shared = shared || g.get() == f.get();
    EXPECT_TRUE(shared) << "SST " << f->object_id << " was copied";
  }
  uint64_t l1_bytes = 0;
  for (const SstRef& f : l1) l1_bytes += f->file_size;
  EXPECT_EQ((*v2)->LevelBytes(1), l1_bytes);
  EXPECT_EQ((*v2)->LevelBytes(0), 32u);
  ASSERT_EQ((*v2)->level(0).size(), 1u);
  EXPECT_EQ((*v2)->level(0)[0]->object_id, 32u);
}

}  // namespace
}  // namespace cairn
