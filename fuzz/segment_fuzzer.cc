// Archived changelog segments (src/backup/pitr_segment.h) and the `cairn backup list`
// path that reads the newest one. The first input byte picks the form of the rest:
//   0: a segment file as stored (its checksum is recomputed so mutations get past it);
//   1: u64 first seq | u64 last seq | the uncompressed record stream, which this
//      target frames into a valid segment (so the record decoder is reached);
//   2: an object key for ParseSegmentKey.
// Decoding never crashes; a decoded segment holds exactly first..last; a parsed key
// prints back as itself.
#include <xxhash.h>
#include <zstd.h>

#include <map>

#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "backup/pitr_segment.h"
#include "common/clock.h"
#include "common/coding.h"
#include "fuzz/fuzz_util.h"

using namespace cairn;

namespace {

constexpr size_t kHeaderSize = 8 + 4 + 8 + 8 + 8;  // magic, version, first, last, raw size
constexpr size_t kTrailerSize = 8 + 8;             // xxhash64, end magic

void FixChecksum(std::string* file) {
  if (file->size() < kTrailerSize) return;
  size_t body_end = file->size() - kTrailerSize;
  std::string sum;
  PutFixed64(&sum, XXH64(file->data(), body_end, 0));
  file->replace(body_end, 8, sum);
}

std::string Frame(uint64_t first, uint64_t last, std::string_view raw) {
  std::string out("CAIRNCLG");
  PutFixed32(&out, kSegmentFormatVersion);
  PutFixed64(&out, first);
  PutFixed64(&out, last);
  PutFixed64(&out, raw.size());
  std::string z(ZSTD_compressBound(raw.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 1));
  out += z;
  out.append(8, '\0');
  out += "CAIRNEND";
  FixChecksum(&out);
  return out;
}

void CheckDecode(const SegmentInfo& info, const std::string& file) {
  auto records = DecodeSegment(info, file);
  if (records.ok()) {
    if (records->empty() || records->size() - 1 != info.last_seq - info.first_seq) {
      fuzz::Fail("decoded segment does not hold exactly first..last");
    }
    std::map<std::string, std::string> state;
    for (const auto& r : *records) ApplyChangelogRecord(r, &state);
  }
  // `cairn backup list`: one manifest, the listing, the newest segment.
  auto store = fuzz::FreshStore("fuzz-segment");
  BackupStorage backups(store.get());
  if (!backups.SaveManifest(Manifest{}).ok()) fuzz::Fail("save manifest");
  if (!store->Put(info.key, file).ok()) return;  // e.g. a key the store refuses
  ManualClock clock;
  auto range = ComputeRecoverableRange(&backups, 1000, &clock);
  if (range.ok()) (void)range->ToString();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::View(data, size);
  switch (fuzz::TakeMode(&in) % 3) {
    case 0: {
      std::string file(in);
      FixChecksum(&file);
      SegmentInfo info;
      if (file.size() >= kHeaderSize) {
        info.first_seq = DecodeFixed64(file.data() + 12);
        info.last_seq = DecodeFixed64(file.data() + 20);
      }
      if (info.first_seq > info.last_seq) std::swap(info.first_seq, info.last_seq);
      info.key = SegmentKey(info.first_seq, info.last_seq);
      CheckDecode(info, file);
      break;
    }
    case 1: {
      if (in.size() < 16) return 0;
      uint64_t first = DecodeFixed64(in.data()), last = DecodeFixed64(in.data() + 8);
      SegmentInfo info;
      if (!ParseSegmentKey(SegmentKey(first, last), &info)) return 0;  // first > last
      CheckDecode(info, Frame(first, last, in.substr(16)));
      break;
    }
    case 2: {
      SegmentInfo info;
      if (ParseSegmentKey(in, &info) && info.key != in) {
        fuzz::Fail("a parsed segment key does not print back as itself");
      }
      break;
    }
  }
  return 0;
}
