#include "sst/format.h"

#include <lz4.h>
#include <xxhash.h>

#include "common/coding.h"

namespace cairn::sst {

void EncodeBlockHandle(std::string* dst, const BlockHandle& h) {
  PutVarint64(dst, h.offset);
  PutVarint64(dst, h.size);
}

bool DecodeBlockHandle(std::string_view* in, BlockHandle* h) {
  return GetVarint64(in, &h->offset) && GetVarint64(in, &h->size);
}

std::string EncodeFooter(const Footer& footer) {
  std::string out;
  for (const BlockHandle* h : {&footer.index, &footer.filter, &footer.properties}) {
    PutFixed64(&out, h->offset);
    PutFixed64(&out, h->size);
  }
  PutFixed32(&out, footer.format_version);
  PutFixed32(&out, static_cast<uint32_t>(XXH64(out.data(), out.size(), 0)));
  PutFixed64(&out, kTableMagic);
  return out;
}

Result<Footer> DecodeFooter(std::string_view bytes, const std::string& what) {
  if (bytes.size() != kFooterSize || DecodeFixed64(bytes.data() + 56) != kTableMagic) {
    return Status::Corruption(what + ": bad magic number (truncated or not an SST)");
  }
  Footer footer;
  footer.format_version = DecodeFixed32(bytes.data() + 48);
  if (footer.format_version > kFormatVersion) {
    return Status::NotSupported(what + " has format version " +
                                std::to_string(footer.format_version) +
                                "; this build reads <= " + std::to_string(kFormatVersion));
  }
  if (footer.format_version == 0 ||
      DecodeFixed32(bytes.data() + 52) != static_cast<uint32_t>(XXH64(bytes.data(), 52, 0))) {
    return Status::Corruption(what + ": footer checksum mismatch");
  }
  BlockHandle* handles[] = {&footer.index, &footer.filter, &footer.properties};
  for (int i = 0; i < 3; ++i) {
    handles[i]->offset = DecodeFixed64(bytes.data() + 16 * i);
    handles[i]->size = DecodeFixed64(bytes.data() + 16 * i + 8);
  }
  return footer;
}

uint64_t AppendBlock(std::string* out, std::string_view raw, Compression compression) {
  size_t start = out->size();
  Compression used = Compression::kNone;
  if (compression == Compression::kLz4 && raw.size() < LZ4_MAX_INPUT_SIZE) {
    PutVarint64(out, raw.size());
    size_t header = out->size();
    int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    out->resize(header + bound);
    int n =
        LZ4_compress_default(raw.data(), out->data() + header, static_cast<int>(raw.size()), bound);
    // Keep the compressed form only when it saves at least 1/8.
    if (n > 0 && header - start + n < raw.size() - raw.size() / 8) {
      out->resize(header + n);
      used = Compression::kLz4;
    } else {
      out->resize(start);
    }
  }
  if (used == Compression::kNone) out->append(raw);
  uint64_t payload = out->size() - start;
  out->push_back(static_cast<char>(used));
  PutFixed64(out, XXH64(out->data() + start, payload + 1, 0));
  return payload;
}

Result<std::string> DecodeBlock(std::string_view data, const std::string& what) {
  if (data.size() < kBlockTrailerSize) return Status::Corruption(what + ": truncated block");
  size_t payload = data.size() - kBlockTrailerSize;
  uint64_t expected = DecodeFixed64(data.data() + payload + 1);
  if (XXH64(data.data(), payload + 1, 0) != expected) {
    return Status::Corruption(what + ": block checksum mismatch");
  }
  auto type = static_cast<Compression>(data[payload]);
  std::string_view body = data.substr(0, payload);
  if (type == Compression::kNone) return std::string(body);
  if (type != Compression::kLz4) return Status::Corruption(what + ": unknown compression type");
  uint64_t raw_size = 0;
  // LZ4 expands at most ~255x (one length byte of 255 per 255 output bytes), so a size
  // beyond that is a damaged header: refuse it before allocating it.
  if (!GetVarint64(&body, &raw_size) || raw_size > (1u << 30) ||
      raw_size > 256 * static_cast<uint64_t>(body.size()) + 64) {
    return Status::Corruption(what + ": bad compressed block header");
  }
  std::string raw(raw_size, '\0');
  int n = LZ4_decompress_safe(body.data(), raw.data(), static_cast<int>(body.size()),
                              static_cast<int>(raw_size));
  if (n < 0 || static_cast<uint64_t>(n) != raw_size) {
    return Status::Corruption(what + ": block does not decompress");
  }
  return raw;
}

Result<std::string> DecodeBlock(std::string&& framed, const std::string& what) {
  if (framed.size() < kBlockTrailerSize ||
      static_cast<Compression>(framed[framed.size() - kBlockTrailerSize]) != Compression::kNone) {
    return DecodeBlock(std::string_view(framed), what);
  }
  size_t payload = framed.size() - kBlockTrailerSize;
  if (XXH64(framed.data(), payload + 1, 0) != DecodeFixed64(framed.data() + payload + 1)) {
    return Status::Corruption(what + ": block checksum mismatch");
  }
  framed.resize(payload);
  return std::move(framed);
}

}  // namespace cairn::sst
