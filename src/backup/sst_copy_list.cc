#include "backup/sst_copy_list.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>

namespace cairn {
namespace {

constexpr std::string_view kHeader = "cairn-sst-copies ";
constexpr size_t kLineSize = 3 * 16 + 3;              // "<id> <size> <hash>\n"
constexpr size_t kTrailerSize = 4 + 16 + 1 + 16 + 1;  // "end <count> <hash>\n"
constexpr size_t kChunk = size_t{1} << 20;

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf, 16);
}

bool ParseHex16(std::string_view text, uint64_t* v) {
  if (text.size() != 16) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + 16, *v, 16);
  return ec == std::errc() && end == text.data() + 16;
}

// Hashes both the lines (for the trailer) and the whole object (for the manifest).
struct ListHashes {
  XXH64_state_t* lines = XXH64_createState();
  XXH64_state_t* all = XXH64_createState();
  ListHashes() { XXH64_reset(lines, 0), XXH64_reset(all, 0); }
  ~ListHashes() { XXH64_freeState(lines), XXH64_freeState(all); }
  void Lines(std::string_view s) { XXH64_update(lines, s.data(), s.size()); }
  void All(std::string_view s) { XXH64_update(all, s.data(), s.size()); }
};

}  // namespace

std::string CopyKey(uint64_t id) { return std::string(kCopyPrefix) + Hex16(id) + ".sst"; }

bool ParseCopyKey(std::string_view key, uint64_t* id) {
  if (key.size() != kCopyPrefix.size() + 16 + 4 || !key.starts_with(kCopyPrefix) ||
      !key.ends_with(".sst")) {
    return false;
  }
  return ParseHex16(key.substr(kCopyPrefix.size(), 16), id);
}

std::string CopyListKey(uint64_t backup_id) {
  std::string digits = std::to_string(backup_id);
  return std::string(kCopyListPrefix) + std::string(20 - digits.size(), '0') + digits + ".list";
}

bool ParseCopyListKey(std::string_view key, uint64_t* backup_id) {
  if (key.size() != kCopyListPrefix.size() + 20 + 5 || !key.starts_with(kCopyListPrefix) ||
      !key.ends_with(".list")) {
    return false;
  }
  std::string_view digits = key.substr(kCopyListPrefix.size(), 20);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *backup_id);
  return ec == std::errc() && end == digits.data() + digits.size();
}

Result<CopyListInfo> WriteCopyList(ObjectStore* store, const std::string& key,
                                   const std::vector<SstCopy>& copies) {
  CAIRN_ASSIGN_OR_RETURN(auto writer, store->NewWriter(key, WriteMode::kOverwrite));
  ListHashes hash;
  std::string buf = std::string(kHeader) + std::to_string(kCopyListFormatVersion) + "\n";
  hash.Lines(buf);
  auto flush = [&]() -> Status {
    hash.All(buf);
    Status s = writer->Append(buf);
    buf.clear();
    return s;
  };
  CopyListInfo info;
  info.key = key;
  for (const SstCopy& c : copies) {
    std::string line = Hex16(c.id) + " " + Hex16(c.size) + " " + Hex16(c.checksum) + "\n";
    hash.Lines(line);
    buf += line;
    if (buf.size() >= kChunk) {
      Status s = flush();
      if (!s.ok()) return writer->Abort(), s;
    }
  }
  info.count = copies.size();
  buf += "end " + Hex16(info.count) + " " + Hex16(XXH64_digest(hash.lines)) + "\n";
  Status s = flush();
  if (!s.ok()) return writer->Abort(), s;
  info.size = writer->bytes_written();
  CAIRN_RETURN_IF_ERROR(writer->Finish());
  info.checksum = XXH64_digest(hash.all);
  return info;
}

Result<std::vector<SstCopy>> ReadCopyList(ObjectStore* store, const CopyListInfo& expected) {
  const std::string& key = expected.key;
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("copy list " + key + " in " + store->DescribeForLog() + ": " + why);
  };
  ListHashes hash;
  std::vector<SstCopy> out;
  std::string buf;
  uint64_t offset = 0, line_no = 0;
  bool header = false, ended = false;
  while (!ended) {
    auto chunk = store->GetRange(key, offset, kChunk);
    if (!chunk.ok()) {
      if (chunk.status().IsNotFound()) {
        return Status::NotFound("copy list " + key + " is missing from " + store->DescribeForLog());
      }
      return chunk.status();
    }
    const bool last = chunk->size() < kChunk;
    offset += chunk->size();
    hash.All(*chunk);
    buf += *chunk;
    size_t pos = 0;
    while (true) {
      size_t nl = buf.find('\n', pos);
      if (nl == std::string::npos) break;
      std::string_view line(buf.data() + pos, nl - pos + 1);
      ++line_no;
      if (ended) return corrupt("bytes after the trailer");
      if (!header) {
        uint32_t version = 0;
        std::string_view v = line.substr(0, line.size() - 1);
        if (!v.starts_with(kHeader)) return corrupt("bad header");
        v.remove_prefix(kHeader.size());
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
        if (ec != std::errc() || end != v.data() + v.size() || version == 0) {
          return corrupt("bad header");
        }
        if (version > kCopyListFormatVersion) {
          return Status::NotSupported("copy list " + key + " has format version " +
                                      std::to_string(version) + "; this build reads versions 1.." +
                                      std::to_string(kCopyListFormatVersion));
        }
        header = true;
        hash.Lines(line);
      } else if (line.starts_with("end ")) {
        uint64_t count = 0, sum = 0;
        if (line.size() != kTrailerSize || !ParseHex16(line.substr(4, 16), &count) ||
            line[20] != ' ' || !ParseHex16(line.substr(21, 16), &sum)) {
          return corrupt("bad trailer");
        }
        if (count != out.size())
          return corrupt("trailer counts " + std::to_string(count) + " SSTs, the list holds " +
                         std::to_string(out.size()));
        if (sum != XXH64_digest(hash.lines)) return corrupt("checksum mismatch");
        ended = true;
      } else {
        SstCopy c;
        if (line.size() != kLineSize || !ParseHex16(line.substr(0, 16), &c.id) || line[16] != ' ' ||
            !ParseHex16(line.substr(17, 16), &c.size) || line[33] != ' ' ||
            !ParseHex16(line.substr(34, 16), &c.checksum)) {
          return corrupt("bad line " + std::to_string(line_no));
        }
        if (!out.empty() && c.id <= out.back().id) {
          return corrupt("line " + std::to_string(line_no) + " is out of order");
        }
        hash.Lines(line);
        out.push_back(c);
      }
      pos = nl + 1;
    }
    buf.erase(0, pos);
    if (last) break;
  }
  if (!ended || !buf.empty()) return corrupt(ended ? "bytes after the trailer" : "truncated");
  if (expected.size != 0 &&
      (offset != expected.size || XXH64_digest(hash.all) != expected.checksum ||
       out.size() != expected.count)) {
    return corrupt("does not match its manifest entry (size, checksum or count differ)");
  }
  return out;
}

}  // namespace cairn
