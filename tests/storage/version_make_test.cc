// Version::Make at open: levels sorted by smallest internal key (by key prefix first,
// whole keys on ties), already sorted input kept as is, the id index sorted whatever
// the input order.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "sst/internal_key.h"
#include "storage/version.h"

namespace cairn {
namespace {

SstMeta File(uint64_t id, int level, const std::string& lo, uint64_t epoch = 1) {
  SstMeta m;
  m.object_id = id;
  m.level = level;
  m.smallest_key = sst::MakeInternalKey(1, lo, epoch, sst::ValueKind::kPut);
  m.largest_key = m.smallest_key;
  m.file_size = id;
  m.max_epoch = epoch;
  return m;
}

void ExpectSortedLevel(const Version& v, int level, size_t n) {
  const auto& files = v.level(level);
  ASSERT_EQ(files.size(), n);
  for (size_t i = 1; i < files.size(); ++i) {
    EXPECT_LT(sst::CompareInternalKeys(files[i - 1]->smallest_key, files[i]->smallest_key), 0)
        << "SSTs " << files[i - 1]->object_id << " and " << files[i]->object_id;
  }
}

// Keys that the 16-byte prefix cannot order: one a prefix of another, embedded zero
// bytes (the prefix pads with zeros), long common prefixes, bytes >= 0x80 (unsigned).
std::vector<std::string> HardKeys() {
  std::vector<std::string> keys = {"",
                                   "a",
                                   std::string("a\0", 2),
                                   std::string("a\0\0", 3),
                                   std::string("a\0b", 3),
                                   "ab",
                                   "\x7f",
                                   "\x80",
                                   "\xff\xff",
                                   "user0000000000001",
                                   "user0000000000002",
                                   "user00000000000010",
                                   "user000000000000",
                                   "user00000000000",
                                   std::string(40, 'z'),
                                   std::string(39, 'z')};
  for (int i = 0; i < 200; ++i) keys.push_back("common-prefix-of-20-" + std::to_string(i * 7919));
  return keys;
}

TEST(VersionMakeTest, SortsLevelsWhatEverTheKeysShare) {
  std::vector<std::string> keys = HardKeys();
  std::vector<SstMeta> files;
  for (size_t i = 0; i < keys.size(); ++i) files.push_back(File(i + 1, 1 + i % 2, keys[i]));
  std::shuffle(files.begin(), files.end(), std::mt19937(7));
  auto v = Version::Make(1, files);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ExpectSortedLevel(**v, 1, (keys.size() + 1) / 2);
  ExpectSortedLevel(**v, 2, keys.size() / 2);
  // Same user key, newer epoch first (internal key order, not the prefix alone).
  auto same = Version::Make(2, {File(1, 3, "k", 5), File(2, 3, "k", 9), File(3, 3, "k", 7)});
  ASSERT_TRUE(same.ok());
  ASSERT_EQ((*same)->level(3).size(), 3u);
  EXPECT_EQ((*same)->level(3)[0]->object_id, 2u);
  EXPECT_EQ((*same)->level(3)[1]->object_id, 3u);
  EXPECT_EQ((*same)->level(3)[2]->object_id, 1u);
}

TEST(VersionMakeTest, KeepsSortedInputAndIndexesIdsInAnyOrder) {
  std::vector<SstMeta> files;
  // In key order but with descending ids: the level needs no sort, the id index does.
  for (int i = 0; i < 100; ++i) files.push_back(File(1000 - i, 1, "key" + std::to_string(100 + i)));
  files.push_back(File(5, 0, "x"));
  auto v = Version::Make(1, files);
  ASSERT_TRUE(v.ok());
  ExpectSortedLevel(**v, 1, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ((*v)->level(1)[i]->object_id, 1000u - i);
  EXPECT_EQ((*v)->size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE((*v)->Contains(1000 - i)) << 1000 - i;
  EXPECT_TRUE((*v)->Contains(5));
  EXPECT_FALSE((*v)->Contains(6));
  EXPECT_FALSE((*v)->Contains(1001));
  ASSERT_NE((*v)->Find(950), nullptr);
  EXPECT_EQ((*v)->Find(950)->object_id, 950u);
}

}  // namespace
}  // namespace cairn
