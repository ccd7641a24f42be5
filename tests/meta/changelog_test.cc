// Changelog record encoding: round trip and corruption detection.
#include "meta/changelog.h"

#include <gtest/gtest.h>

#include "common/random.h"

namespace cairn {
namespace {

ChangelogRecord RandomRecord(Random* random) {
  ChangelogRecord record;
  record.seq = random->Next() >> random->Uniform(64);
  record.epoch = random->Next();
  record.wall_time_ms = static_cast<int64_t>(random->Next() >> 1);
  size_t ops = random->Uniform(6);
  for (size_t i = 0; i < ops; ++i) {
    std::string key = random->Bytes(random->Uniform(20));
    // Binary bytes too: keys and values are arbitrary.
    if (random->OneIn(2)) key.push_back(static_cast<char>(random->Uniform(256)));
    switch (random->Uniform(3)) {
      case 0:
        record.ops.push_back(Op::Put(key, random->Bytes(random->Uniform(300))));
        break;
      case 1:
        record.ops.push_back(Op::Delete(key));
        break;
      default:
        record.ops.push_back(Op::DeleteRange(key, key + random->Bytes(3)));
    }
  }
  return record;
}

void ExpectEqual(const ChangelogRecord& a, const ChangelogRecord& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.wall_time_ms, b.wall_time_ms);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    EXPECT_EQ(a.ops[i].kind, b.ops[i].kind);
    EXPECT_EQ(a.ops[i].key, b.ops[i].key);
    EXPECT_EQ(a.ops[i].value, b.ops[i].value);
    EXPECT_EQ(a.ops[i].end, b.ops[i].end);
  }
}

TEST(ChangelogRecordTest, EncodeDecodeRoundTrip) {
  Random random(1234);
  for (int i = 0; i < 500; ++i) {
    ChangelogRecord record = RandomRecord(&random);
    auto decoded = DecodeChangelogRecord(EncodeChangelogRecord(record));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ExpectEqual(record, *decoded);
  }
}

TEST(ChangelogRecordTest, EveryTruncationIsCorruption) {
  Random random(99);
  for (int i = 0; i < 50; ++i) {
    std::string bytes = EncodeChangelogRecord(RandomRecord(&random));
    for (size_t len = 0; len < bytes.size(); ++len) {
      auto decoded = DecodeChangelogRecord(std::string_view(bytes).substr(0, len));
      ASSERT_FALSE(decoded.ok()) << "prefix of " << len << " of " << bytes.size() << " bytes";
      EXPECT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
    }
  }
}

TEST(ChangelogRecordTest, MalformedBytesAreCorruption) {
  ChangelogRecord record{7, 8, 9, {Op::Put("k", "v")}};
  std::string bytes = EncodeChangelogRecord(record);
  std::string bad_format = bytes;
  bad_format[0] = 9;
  EXPECT_TRUE(DecodeChangelogRecord(bad_format).status().IsCorruption());
  std::string trailing = bytes + "x";
  EXPECT_TRUE(DecodeChangelogRecord(trailing).status().IsCorruption());
  // The op kind byte follows format, seq, epoch, wall time and count (one byte each).
  std::string bad_kind = bytes;
  bad_kind[5] = 42;
  EXPECT_TRUE(DecodeChangelogRecord(bad_kind).status().IsCorruption());
}

}  // namespace
}  // namespace cairn
