// Backup snapshot files (src/backup/snapshot_file.h) read from mem://. The first input
// byte picks the form of the rest:
//   0: a snapshot file as stored (its checksum is recomputed so mutations get past it);
//   1: the file with its zstd stream uncompressed: magic | u32 version | u32 header
//      length | header | record stream | u64 record count; this target compresses the
//      stream and adds the checksum and end magic (so the record parser is reached).
// Reading never crashes or buffers without bound; a file that reads OK delivered as
// many records as its trailer says.
#include <xxhash.h>
#include <zstd.h>

#include "backup/snapshot_file.h"
#include "common/coding.h"
#include "fuzz/fuzz_util.h"

using namespace cairn;

namespace {

constexpr size_t kPrefixSize = 8 + 4 + 4;
constexpr size_t kTrailerSize = 8 + 8 + 8;  // record count, xxhash64, end magic

void FixChecksum(std::string* file) {
  if (file->size() < kTrailerSize) return;
  size_t at = file->size() - 16;
  std::string sum;
  PutFixed64(&sum, XXH64(file->data(), at, 0));
  file->replace(at, 8, sum);
}

std::string Frame(std::string_view in) {
  if (in.size() < kPrefixSize) return std::string(in);
  uint64_t header_len = std::min<uint64_t>(DecodeFixed32(in.data() + 12), in.size() - kPrefixSize);
  std::string file(in.substr(0, kPrefixSize + header_len));
  std::string_view rest = in.substr(kPrefixSize + header_len);
  std::string count(8, '\0');
  if (rest.size() >= 8) {
    count = rest.substr(rest.size() - 8);
    rest.remove_suffix(8);
  }
  std::string z(ZSTD_compressBound(rest.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), rest.data(), rest.size(), 1));
  file += z;
  file += count;
  file.append(8, '\0');
  file += "CAIRNEND";
  FixChecksum(&file);
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::View(data, size);
  std::string file;
  if (fuzz::TakeMode(&in) % 2 == 0) {
    file = std::string(in);
    FixChecksum(&file);
  } else {
    file = Frame(in);
  }
  auto store = fuzz::FreshStore("fuzz-snapshot");
  const std::string key = "snapshots/1.snap";
  if (!store->Put(key, file).ok()) fuzz::Fail("put");
  (void)ReadSnapshotHeader(store.get(), key);
  SnapshotHeader header;
  SnapshotFileInfo info;
  uint64_t records = 0, bytes = 0;
  Status s =
      ReadSnapshot(store.get(), key, &header, &info, [&](std::string_view k, std::string_view v) {
        ++records;
        bytes += k.size() + v.size();
        return Status::OK();
      });
  if (s.ok() && (info.record_count != records || info.file_size != file.size())) {
    fuzz::Fail("ReadSnapshot OK but its info disagrees with what it delivered");
  }
  return 0;
}
