#include "backup/pitr_segment.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common/coding.h"

namespace cairn {
namespace {

// Layout: magic | u32 version | u64 first | u64 last | u64 raw length |
// zstd frame of (varint length, encoded ChangelogRecord)... |
// u64 xxhash64(every byte before it) | end magic.
constexpr std::string_view kMagic = "CAIRNCLG";
constexpr std::string_view kEndMagic = "CAIRNEND";
constexpr size_t kHeaderSize = 8 + 4 + 8 + 8 + 8;
constexpr size_t kTrailerSize = 8 + 8;
constexpr int kZstdLevel = 3;
// A bound on the decompressed size we accept, so a corrupt length cannot exhaust memory.
constexpr uint64_t kMaxRawSize = 1ull << 32;

Status Corrupt(const std::string& key, std::string_view what) {
  return Status::Corruption("changelog segment " + key + ": " + std::string(what));
}

// Decodes zstd `in`, which must hold exactly `size` bytes. The output grows only as zstd
// produces it, so a damaged size field cannot allocate gigabytes up front.
bool DecompressExactly(std::string_view in, uint64_t size, std::string* out) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  size_t ret = 1;
  while (true) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    ret = ZSTD_decompressStream(dctx, &output, &input);
    if (ZSTD_isError(ret)) break;
    out->append(chunk.data(), output.pos);
    if (out->size() > size || (input.pos == input.size && output.pos < output.size)) break;
  }
  ZSTD_freeDCtx(dctx);
  return !ZSTD_isError(ret) && ret == 0 && out->size() == size;
}

bool ParseSeq(std::string_view text, uint64_t* v) {
  if (text.size() != 20) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string SegmentKey(uint64_t first_seq, uint64_t last_seq, uint32_t timeline) {
  char buf[80];
  if (timeline <= 1) {
    std::snprintf(buf, sizeof(buf), "%020llu-%020llu.log",
                  static_cast<unsigned long long>(first_seq),  // NOLINT(runtime/int)
                  static_cast<unsigned long long>(last_seq));  // NOLINT(runtime/int)
  } else {
    std::snprintf(buf, sizeof(buf), "%08u/%020llu-%020llu.log", timeline,
                  static_cast<unsigned long long>(first_seq),  // NOLINT(runtime/int)
                  static_cast<unsigned long long>(last_seq));  // NOLINT(runtime/int)
  }
  return std::string(kSegmentPrefix) + buf;
}

bool ParseSegmentKey(std::string_view key, SegmentInfo* info) {
  if (!key.starts_with(kSegmentPrefix)) return false;
  key.remove_prefix(kSegmentPrefix.size());
  info->timeline = 1;
  if (key.size() == 8 + 1 + 20 + 1 + 20 + 4 && key[8] == '/') {
    uint32_t timeline = 0;
    auto [end, ec] = std::from_chars(key.data(), key.data() + 8, timeline);
    if (ec != std::errc() || end != key.data() + 8 || timeline < 2) return false;
    info->timeline = timeline;
    key.remove_prefix(9);
  }
  if (key.size() != 20 + 1 + 20 + 4 || key[20] != '-' || !key.ends_with(".log")) return false;
  if (!ParseSeq(key.substr(0, 20), &info->first_seq) ||
      !ParseSeq(key.substr(21, 20), &info->last_seq) || info->first_seq > info->last_seq) {
    return false;
  }
  info->through_seq = info->last_seq;
  info->key = SegmentKey(info->first_seq, info->last_seq, info->timeline);
  return true;
}

std::string EncodeSegment(const std::vector<ChangelogRecord>& records) {
  std::string raw;
  for (const auto& r : records) PutLengthPrefixed(&raw, EncodeChangelogRecord(r));
  std::string out(kMagic);
  PutFixed32(&out, kSegmentFormatVersion);
  PutFixed64(&out, records.front().seq);
  PutFixed64(&out, records.back().seq);
  PutFixed64(&out, raw.size());
  size_t header = out.size();
  out.resize(header + ZSTD_compressBound(raw.size()));
  size_t n =
      ZSTD_compress(out.data() + header, out.size() - header, raw.data(), raw.size(), kZstdLevel);
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail.
  out.resize(header + n);
  PutFixed64(&out, XXH64(out.data(), out.size(), 0));
  out += kEndMagic;
  return out;
}

Result<std::vector<ChangelogRecord>> DecodeSegment(const SegmentInfo& expected,
                                                   std::string_view bytes) {
  const std::string& key = expected.key;
  if (bytes.size() < kHeaderSize + kTrailerSize || bytes.substr(0, kMagic.size()) != kMagic) {
    return Corrupt(key, "not a cairn changelog segment (bad magic or too short)");
  }
  if (bytes.substr(bytes.size() - kEndMagic.size()) != kEndMagic) {
    return Corrupt(key, "truncated (no end magic)");
  }
  uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version == 0 || version > kSegmentFormatVersion) {
    return Status::NotSupported("changelog segment " + key + " has format version " +
                                std::to_string(version) + "; this build reads versions 1.." +
                                std::to_string(kSegmentFormatVersion));
  }
  size_t body_end = bytes.size() - kTrailerSize;
  if (XXH64(bytes.data(), body_end, 0) != DecodeFixed64(bytes.data() + body_end)) {
    return Corrupt(key, "checksum mismatch");
  }
  uint64_t first = DecodeFixed64(bytes.data() + 12);
  uint64_t last = DecodeFixed64(bytes.data() + 20);
  uint64_t raw_size = DecodeFixed64(bytes.data() + 28);
  if (first != expected.first_seq || last != expected.last_seq) {
    return Corrupt(key, "header says seqs " + std::to_string(first) + ".." + std::to_string(last));
  }
  if (raw_size > kMaxRawSize) return Corrupt(key, "raw size out of range");
  std::string raw;
  if (!DecompressExactly(bytes.substr(kHeaderSize, body_end - kHeaderSize), raw_size, &raw)) {
    return Corrupt(key, "zstd frame does not decode");
  }
  // Every record takes at least one byte: a name claiming more records than that (or
  // all 2^64 seqs, whose count wraps to 0) is damaged. Refuse it before reserving room.
  if (last - first >= raw.size()) return Corrupt(key, "record count does not match name");
  std::vector<ChangelogRecord> records;
  records.reserve(last - first + 1);
  std::string_view in(raw);
  while (!in.empty()) {
    std::string_view encoded;
    if (!GetLengthPrefixed(&in, &encoded)) return Corrupt(key, "truncated record");
    auto record = DecodeChangelogRecord(encoded);
    if (!record.ok()) return Corrupt(key, record.status().message());
    if (record->seq != first + records.size()) {
      return Corrupt(key, "record seq " + std::to_string(record->seq) + " out of order");
    }
    records.push_back(std::move(*record));
  }
  if (records.size() != last - first + 1) return Corrupt(key, "record count does not match name");
  return records;
}

Result<std::vector<SegmentInfo>> ListSegments(ObjectStore* store) {
  std::vector<SegmentInfo> out;
  CAIRN_RETURN_IF_ERROR(ListAll(*store, kSegmentPrefix, [&](const ObjectMeta& meta) {
    SegmentInfo info;
    if (ParseSegmentKey(meta.key, &info)) {
      info.size = meta.size;
      out.push_back(std::move(info));
    }
    return Status::OK();
  }));
  std::sort(out.begin(), out.end(), [](const SegmentInfo& a, const SegmentInfo& b) {
    return a.timeline != b.timeline ? a.timeline < b.timeline : a.first_seq < b.first_seq;
  });
  return out;
}

Result<std::vector<ChangelogRecord>> ReadSegment(ObjectStore* store, const SegmentInfo& segment) {
  auto bytes = store->Get(segment.key);
  if (!bytes.ok()) return bytes.status().WithContext("reading changelog segment");
  CAIRN_ASSIGN_OR_RETURN(auto records, DecodeSegment(segment, *bytes));
  // On a replay path, a parent timeline's records after the branch point are not ours.
  while (!records.empty() && segment.through_seq != 0 && records.back().seq > segment.through_seq) {
    records.pop_back();
  }
  return records;
}

std::vector<std::string> SegmentGaps(const std::vector<SegmentInfo>& segments) {
  std::vector<std::string> gaps;
  for (size_t i = 1; i < segments.size(); ++i) {
    const SegmentInfo& prev = segments[i - 1];
    uint64_t expect = (prev.through_seq ? prev.through_seq : prev.last_seq) + 1;
    if (segments[i].first_seq > expect) {
      gaps.push_back(std::to_string(expect) + ".." + std::to_string(segments[i].first_seq - 1));
    }
  }
  return gaps;
}

}  // namespace cairn
