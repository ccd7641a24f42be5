#include "backup/manifest.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

SnapshotEntry Entry(uint64_t id) {
  SnapshotEntry e;
  e.id = id;
  e.created_ms = 1000 + id;
  e.epoch = 5000 + id;
  e.version_id = 10 + id;
  e.meta_revision = 20 + id;
  e.changelog_seq = 30 + id;
  e.max_object_id = 40 + id;
  e.id_generators = {{"object", 40 + id}, {"table", 3}};
  e.sst_count = 2;
  e.sst_bytes = 4096;
  e.file = "snapshots/" + std::to_string(id) + ".snap";
  e.file_size = 777;
  e.checksum = 0xfedcba9876543210ull;
  e.format_version = 1;
  e.remarks = "quote \" and newline \n";
  e.cluster_id = "c1";
  return e;
}

TEST(ManifestTest, RoundTrip) {
  Manifest m;
  m.snapshots = {Entry(1), Entry(2)};
  auto decoded = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->snapshots.size(), 2u);
  const SnapshotEntry& e = decoded->snapshots[1];
  EXPECT_EQ(e.id, 2u);
  EXPECT_EQ(e.checksum, 0xfedcba9876543210ull);
  EXPECT_EQ(e.remarks, "quote \" and newline \n");
  EXPECT_EQ(e.id_generators.at("object"), 42u);
  EXPECT_EQ(decoded->Find(1)->file, "snapshots/1.snap");
  EXPECT_EQ(decoded->Find(3), nullptr);
}

TEST(ManifestTest, BadManifestsAreClearErrors) {
  EXPECT_TRUE(DecodeManifest("").status().IsCorruption());
  EXPECT_TRUE(DecodeManifest("{not json").status().IsCorruption());
  EXPECT_TRUE(DecodeManifest("[]").status().IsCorruption());
  EXPECT_TRUE(
      DecodeManifest(R"({"format_version":1,"snapshots":[{"id":1}]})").status().IsCorruption());
  auto future = DecodeManifest(R"({"format_version":9,"snapshots":[]})");
  EXPECT_EQ(future.status().code(), ErrorCode::kNotSupported);
  EXPECT_NE(future.status().message().find("format version 9"), std::string::npos);
  for (auto bad : {"", "{not json"}) {
    EXPECT_NE(DecodeManifest(bad).status().message().find("manifest.json"), std::string::npos);
  }
}

TEST(ManifestTest, NonIntegerNumbersAreCorruption) {
  // Found by fuzz/manifest_fuzzer.cc: converting 1e46 (or any fraction) to an integer
  // field was undefined behaviour (UBSan: outside the range of representable values).
  Manifest m;
  m.snapshots = {Entry(1)};
  std::string good = EncodeManifest(m);
  ASSERT_TRUE(DecodeManifest(good).ok());
  for (std::string bad :
       {R"({"format_version":1e46,"snapshots":[]})", R"({"format_version":1.0,"snapshots":[]})"}) {
    auto decoded = DecodeManifest(bad);
    ASSERT_TRUE(decoded.status().IsCorruption()) << bad;
    EXPECT_EQ(decoded.status().message(), "manifest.json: a number is not an integer");
  }
  std::string bad = good;
  bad.replace(bad.find("\"sst_bytes\": 4096"), 17, "\"sst_bytes\": 4.5e99");
  EXPECT_TRUE(DecodeManifest(bad).status().IsCorruption()) << bad;
}

}  // namespace
}  // namespace cairn
