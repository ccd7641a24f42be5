// Regression tests for archived changelog segments whose damage passes the checksum
// (found by reading pitr_segment.cc and by fuzz/segment_fuzzer.cc): names claiming a
// huge seq range, a segment with no records, a raw size of gigabytes. Each must be a
// Corruption naming the segment, from DecodeSegment and from `cairn backup list`
// (ComputeRecoverableRange), never an exception, a crash or a giant allocation.
#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <limits>

#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "backup/pitr_segment.h"
#include "common/clock.h"
#include "common/coding.h"
#include "object_store/mem_object_store.h"
#include "object_store/object_store.h"

namespace cairn {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// A segment file for seqs first..last whose stream is `raw` (checksum valid); the header
// says `raw_size` (by default the real size).
std::string Segment(uint64_t first, uint64_t last, std::string_view raw, uint64_t raw_size = kMax) {
  std::string out("CAIRNCLG");
  PutFixed32(&out, kSegmentFormatVersion);
  PutFixed64(&out, first);
  PutFixed64(&out, last);
  PutFixed64(&out, raw_size == kMax ? raw.size() : raw_size);
  std::string z(ZSTD_compressBound(raw.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 1));
  out += z;
  PutFixed64(&out, XXH64(out.data(), out.size(), 0));
  return out + "CAIRNEND";
}

std::string OneRecordStream(uint64_t seq) {
  ChangelogRecord r;
  r.seq = seq;
  r.epoch = 1ull << 20;
  r.wall_time_ms = 1'700'000'000'000;
  r.ops.push_back(Op::Put("k", "v"));
  std::string raw;
  PutLengthPrefixed(&raw, EncodeChangelogRecord(r));
  return raw;
}

class SegmentBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(OpenObjectStore("mem://segment-bad-input-test")).value();
    ASSERT_TRUE(BackupStorage(store_.get()).SaveManifest(Manifest{}).ok());
  }
  void TearDown() override { DropMemObjectStore("segment-bad-input-test"); }

  // DecodeSegment and `backup list` on the segment `file` named first..last: both must
  // be Corruption naming it, with `error`.
  void ExpectCorruption(uint64_t first, uint64_t last, const std::string& file,
                        const std::string& error) {
    SegmentInfo info;
    ASSERT_TRUE(ParseSegmentKey(SegmentKey(first, last), &info));
    auto records = DecodeSegment(info, file);
    ASSERT_TRUE(records.status().IsCorruption()) << records.status().ToString();
    EXPECT_EQ(records.status().message(), "changelog segment " + info.key + ": " + error);

    ASSERT_TRUE(store_->Put(info.key, file).ok());
    BackupStorage backups(store_.get());
    ManualClock clock;
    auto range = ComputeRecoverableRange(&backups, 1000, &clock);
    ASSERT_TRUE(range.status().IsCorruption()) << range.status().ToString();
    EXPECT_NE(range.status().message().find(info.key), std::string::npos)
        << range.status().message();
    ASSERT_TRUE(store_->Delete(info.key).ok());
  }

  std::unique_ptr<ObjectStore> store_;
};

TEST_F(SegmentBadInputTest, NameClaimingAHugeRangeIsCorruptionNotAnAllocation) {
  // Before the fix: records.reserve(2^62) threw std::length_error out of `backup list`.
  for (uint64_t last : {uint64_t{1} << 62, kMax - 1, uint64_t{1000}}) {
    ExpectCorruption(1, last, Segment(1, last, OneRecordStream(1)),
                     "record count does not match name");
  }
}

TEST_F(SegmentBadInputTest, SegmentWithNoRecordsIsCorruption) {
  // 0..2^64-1 has 2^64 seqs, a count that wraps to 0: before the fix an empty stream
  // decoded as a valid, empty segment and `backup list` read records.back() of it.
  ExpectCorruption(0, kMax, Segment(0, kMax, ""), "record count does not match name");
  ExpectCorruption(5, 5, Segment(5, 5, ""), "record count does not match name");
}

TEST_F(SegmentBadInputTest, RawSizeOfGigabytesIsCorruptionWithoutAllocatingIt) {
  // Before the fix the header's raw size (up to 4 GiB) was allocated and zeroed before
  // zstd looked at the few bytes of the frame.
  std::string raw = OneRecordStream(3);
  for (uint64_t claimed : {uint64_t{3} << 30, uint64_t{1} << 32, uint64_t{raw.size() + 1}}) {
    ExpectCorruption(3, 3, Segment(3, 3, raw, claimed), "zstd frame does not decode");
  }
  ExpectCorruption(3, 3, Segment(3, 3, raw, raw.size() - 1), "zstd frame does not decode");
  // Control: the same segment with its true size decodes.
  SegmentInfo info;
  ASSERT_TRUE(ParseSegmentKey(SegmentKey(3, 3), &info));
  auto records = DecodeSegment(info, Segment(3, 3, raw));
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(records->size(), 1u);
}

}  // namespace
}  // namespace cairn
