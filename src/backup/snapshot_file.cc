#include "backup/snapshot_file.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>

#include "common/coding.h"
#include "meta_store/meta_store.h"

namespace cairn {
namespace {

// Layout: magic | u32 version | u32 header length | header | zstd stream of
// (varint key len, key, varint value len, value)... | trailer.
// Trailer: u64 record count | u64 xxhash64(all preceding bytes) | end magic.
constexpr std::string_view kMagic = "CAIRNSNP";
constexpr std::string_view kEndMagic = "CAIRNEND";
constexpr size_t kPrefixSize = 8 + 4 + 4;
constexpr size_t kTrailerSize = 8 + 8 + 8;
constexpr size_t kChunk = 1 << 20;
constexpr uint32_t kMaxHeaderSize = 64 * 1024;

std::string EncodeHeader(const SnapshotHeader& h) {
  std::string body;
  PutVarint64(&body, h.snapshot_id);
  PutVarint64(&body, static_cast<uint64_t>(h.meta_revision));
  PutVarint64(&body, h.changelog_seq);
  PutVarint64(&body, static_cast<uint64_t>(h.created_ms));
  PutLengthPrefixed(&body, h.cluster_id);
  PutVarint64(&body, h.timeline);  // absent in files from before issue 12
  std::string out(kMagic);
  PutFixed32(&out, h.format_version);
  PutFixed32(&out, static_cast<uint32_t>(body.size()));
  return out + body;
}

Status Corrupt(std::string_view key, std::string_view what) {
  return Status::Corruption("snapshot " + std::string(key) + ": " + std::string(what));
}

Result<SnapshotHeader> DecodeHeaderBody(std::string_view key, uint32_t version,
                                        std::string_view in) {
  SnapshotHeader h;
  h.format_version = version;
  uint64_t revision = 0, created = 0;
  std::string_view cluster;
  if (!GetVarint64(&in, &h.snapshot_id) || !GetVarint64(&in, &revision) ||
      !GetVarint64(&in, &h.changelog_seq) || !GetVarint64(&in, &created) ||
      !GetLengthPrefixed(&in, &cluster)) {
    return Corrupt(key, "truncated header");
  }
  h.meta_revision = static_cast<int64_t>(revision);
  h.created_ms = static_cast<int64_t>(created);
  h.cluster_id = std::string(cluster);
  if (!in.empty()) {
    uint64_t timeline = 0;
    if (!GetVarint64(&in, &timeline)) return Corrupt(key, "truncated header (timeline)");
    if (timeline == 0 || timeline > UINT32_MAX) {
      return Corrupt(key, "timeline " + std::to_string(timeline) + " out of range");
    }
    h.timeline = static_cast<uint32_t>(timeline);
    h.timeline_recorded = true;
  }
  return h;
}

// Parses the fixed prefix; returns the header length.
Result<uint32_t> CheckPrefix(std::string_view key, std::string_view prefix, uint32_t* version) {
  if (prefix.size() < kPrefixSize || prefix.substr(0, kMagic.size()) != kMagic) {
    return Corrupt(key, "not a cairn snapshot (bad magic)");
  }
  *version = DecodeFixed32(prefix.data() + 8);
  if (*version > kSnapshotFormatVersion || *version == 0) {
    return Status::NotSupported("snapshot " + std::string(key) + " has format version " +
                                std::to_string(*version) + "; this build reads versions 1.." +
                                std::to_string(kSnapshotFormatVersion));
  }
  uint32_t header_len = DecodeFixed32(prefix.data() + 12);
  if (header_len > kMaxHeaderSize) return Corrupt(key, "header length out of range");
  return header_len;
}

class StreamingSnapshotWriter final : public SnapshotWriter {
 public:
  StreamingSnapshotWriter(std::unique_ptr<ObjectWriter> out, ZSTD_CCtx* cctx)
      : out_(std::move(out)), cctx_(cctx), hash_(XXH64_createState()) {
    XXH64_reset(hash_, 0);
  }
  ~StreamingSnapshotWriter() override {
    if (!finished_) out_->Abort();
    ZSTD_freeCCtx(cctx_);
    XXH64_freeState(hash_);
  }

  Status WriteRaw(std::string_view bytes) {
    XXH64_update(hash_, bytes.data(), bytes.size());
    return out_->Append(bytes);
  }

  Status Add(std::string_view key, std::string_view value) override {
    PutLengthPrefixed(&pending_, key);
    PutLengthPrefixed(&pending_, value);
    ++records_;
    if (pending_.size() >= kChunk) return Compress(ZSTD_e_continue);
    return Status::OK();
  }

  Result<SnapshotFileInfo> Finish() override {
    CAIRN_RETURN_IF_ERROR(Compress(ZSTD_e_end));
    std::string trailer;
    PutFixed64(&trailer, records_);
    SnapshotFileInfo info;
    XXH64_update(hash_, trailer.data(), trailer.size());
    info.checksum = XXH64_digest(hash_);
    PutFixed64(&trailer, info.checksum);
    trailer += kEndMagic;
    CAIRN_RETURN_IF_ERROR(out_->Append(trailer));
    info.file_size = out_->bytes_written();
    info.record_count = records_;
    CAIRN_RETURN_IF_ERROR(out_->Finish());
    finished_ = true;
    return info;
  }

  void Abort() override {
    if (!finished_) out_->Abort();
    finished_ = true;
  }

 private:
  // Feeds pending_ to zstd and writes whatever it produces.
  Status Compress(ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{pending_.data(), pending_.size(), 0};
    std::string buf(ZSTD_CStreamOutSize(), '\0');
    bool done = false;
    while (!done) {
      ZSTD_outBuffer out{buf.data(), buf.size(), 0};
      size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(remaining)) {
        return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(remaining));
      }
      if (out.pos) CAIRN_RETURN_IF_ERROR(WriteRaw(std::string_view(buf.data(), out.pos)));
      done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
    }
    pending_.clear();
    return Status::OK();
  }

  std::unique_ptr<ObjectWriter> out_;
  ZSTD_CCtx* cctx_;
  XXH64_state_t* hash_;
  std::string pending_;
  uint64_t records_ = 0;
  bool finished_ = false;
};

// Pulls a byte range of an object in bounded chunks.
class ChunkedSource {
 public:
  ChunkedSource(ObjectStore* store, std::string_view key, uint64_t begin, uint64_t end)
      : store_(store), key_(key), pos_(begin), end_(end) {}
  bool done() const { return pos_ >= end_; }
  Result<std::string> Next() {
    uint64_t len = std::min<uint64_t>(kChunk, end_ - pos_);
    CAIRN_ASSIGN_OR_RETURN(std::string chunk, store_->GetRange(key_, pos_, len));
    if (chunk.size() != len) return Corrupt(key_, "object shorter than expected (truncated)");
    pos_ += len;
    return chunk;
  }

 private:
  ObjectStore* store_;
  std::string key_;
  uint64_t pos_, end_;
};

// Decodes records from a decompressed byte stream that arrives in pieces.
class RecordParser {
 public:
  explicit RecordParser(std::string_view key) : key_(key) {}
  Status Feed(std::string_view bytes, const SnapshotRecordFn& fn) {
    buf_.append(bytes);
    std::string_view in(buf_);
    while (true) {
      std::string_view rest = in, k, v;
      if (!GetLengthPrefixed(&rest, &k) || !GetLengthPrefixed(&rest, &v)) break;
      CAIRN_RETURN_IF_ERROR(fn(k, v));
      ++records_;
      in = rest;
    }
    CAIRN_RETURN_IF_ERROR(CheckIncomplete(in));
    buf_.erase(0, buf_.size() - in.size());
    return Status::OK();
  }
  // `in` starts with an incomplete record. Lengths that no meta store holds, or a varint
  // that can never end, are damage: without this the parser would buffer the rest of the
  // stream waiting for the record to complete.
  Status CheckIncomplete(std::string_view in) const {
    for (uint64_t limit : {uint64_t{kMaxMetaKeySize}, uint64_t{kMaxMetaValueSize}}) {
      uint64_t len = 0;
      size_t available = in.size();
      if (!GetVarint64(&in, &len)) {
        return available < 10 ? Status::OK() : Corrupt(key_, "malformed record length");
      }
      if (len > limit) {
        return Corrupt(key_, "record length " + std::to_string(len) + " out of range");
      }
      if (len > in.size()) return Status::OK();
      in.remove_prefix(len);
    }
    return Status::OK();
  }
  Status Finish() const {
    return buf_.empty() ? Status::OK() : Corrupt(key_, "truncated record at end of stream");
  }
  uint64_t records() const { return records_; }

 private:
  std::string key_;
  std::string buf_;
  uint64_t records_ = 0;
};

}  // namespace

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(ObjectStore* store,
                                                               std::string_view key,
                                                               const SnapshotHeader& header) {
  // Create-only: a snapshot file is never replaced (a reused backup id would be a bug).
  CAIRN_ASSIGN_OR_RETURN(auto out, store->NewWriter(key, WriteMode::kCreateOnly));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  // Level 1: half the CPU of level 3 for ~3% more bytes (BENCHMARKS.md, Backup).
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  auto writer = std::make_unique<StreamingSnapshotWriter>(std::move(out), cctx);
  CAIRN_RETURN_IF_ERROR(writer->WriteRaw(EncodeHeader(header)));
  return std::unique_ptr<SnapshotWriter>(std::move(writer));
}

namespace {

// The header and its bytes as stored (prefix + body), which the checksum covers: a
// re-encoding would differ for headers written by other versions (issue 12 added the
// timeline).
Result<SnapshotHeader> ReadHeader(ObjectStore* store, std::string_view key, std::string* raw) {
  CAIRN_ASSIGN_OR_RETURN(std::string prefix, store->GetRange(key, 0, kPrefixSize));
  uint32_t version = 0;
  CAIRN_ASSIGN_OR_RETURN(uint32_t header_len, CheckPrefix(key, prefix, &version));
  CAIRN_ASSIGN_OR_RETURN(std::string body, store->GetRange(key, kPrefixSize, header_len));
  if (body.size() != header_len) return Corrupt(key, "truncated header");
  CAIRN_ASSIGN_OR_RETURN(SnapshotHeader header, DecodeHeaderBody(key, version, body));
  if (raw != nullptr) *raw = prefix + body;
  return header;
}

}  // namespace

Result<SnapshotHeader> ReadSnapshotHeader(ObjectStore* store, std::string_view key) {
  return ReadHeader(store, key, nullptr);
}

Status ReadSnapshot(ObjectStore* store, std::string_view key, SnapshotHeader* header,
                    SnapshotFileInfo* info, const SnapshotRecordFn& fn) {
  CAIRN_ASSIGN_OR_RETURN(ObjectMeta meta, store->Head(key));
  std::string header_bytes;
  CAIRN_ASSIGN_OR_RETURN(*header, ReadHeader(store, key, &header_bytes));
  if (meta.size < header_bytes.size() + kTrailerSize) return Corrupt(key, "truncated file");
  uint64_t body_end = meta.size - kTrailerSize;
  CAIRN_ASSIGN_OR_RETURN(std::string trailer, store->GetRange(key, body_end, kTrailerSize));
  if (trailer.size() != kTrailerSize || trailer.substr(16) != kEndMagic) {
    return Corrupt(key, "missing end marker (truncated file?)");
  }
  uint64_t expected_records = DecodeFixed64(trailer.data());
  uint64_t expected_checksum = DecodeFixed64(trailer.data() + 8);

  XXH64_state_t* hash = XXH64_createState();
  XXH64_reset(hash, 0);
  XXH64_update(hash, header_bytes.data(), header_bytes.size());
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  RecordParser parser(key);
  ChunkedSource source(store, key, header_bytes.size(), body_end);
  std::string out_buf(ZSTD_DStreamOutSize(), '\0');
  Status status;
  size_t last_ret = 1;
  while (status.ok() && !source.done()) {
    auto chunk = source.Next();
    if (!chunk.ok()) {
      status = chunk.status();
      break;
    }
    XXH64_update(hash, chunk->data(), chunk->size());
    ZSTD_inBuffer in{chunk->data(), chunk->size(), 0};
    while (status.ok() && in.pos < in.size) {
      ZSTD_outBuffer out{out_buf.data(), out_buf.size(), 0};
      last_ret = ZSTD_decompressStream(dctx, &out, &in);
      if (ZSTD_isError(last_ret)) {
        status = Corrupt(
            key, std::string("compressed stream is damaged: ") + ZSTD_getErrorName(last_ret));
        break;
      }
      status = parser.Feed(std::string_view(out_buf.data(), out.pos), fn);
    }
  }
  XXH64_update(hash, trailer.data(), 8);
  uint64_t checksum = XXH64_digest(hash);
  ZSTD_freeDCtx(dctx);
  XXH64_freeState(hash);
  CAIRN_RETURN_IF_ERROR(status);
  if (checksum != expected_checksum) return Corrupt(key, "checksum mismatch");
  if (last_ret != 0) return Corrupt(key, "compressed stream ends early");
  CAIRN_RETURN_IF_ERROR(parser.Finish());
  if (parser.records() != expected_records) return Corrupt(key, "record count mismatch");
  if (info) *info = {meta.size, parser.records(), checksum};
  return Status::OK();
}

}  // namespace cairn
