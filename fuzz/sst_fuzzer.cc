// SST reader (src/sst/table_reader.h) over mem://: the input is an SST object. Before
// reading, this target recomputes the footer checksum and the checksums of every block
// the footer and the index point at (where they lie inside the object), so mutations
// reach the block, index, properties and LZ4 decoders instead of stopping at a
// checksum. Opening, scanning and seeking never crash or allocate without bound.
#include <xxhash.h>

#include <string>

#include "common/coding.h"
#include "fuzz/fuzz_util.h"
#include "sst/block.h"
#include "sst/block_cache.h"
#include "sst/format.h"
#include "sst/internal_key.h"
#include "sst/table_reader.h"

using namespace cairn;
using namespace cairn::sst;

namespace {

// Payload + trailer of `h` inside file[0, end), computed without overflow.
bool Inside(const BlockHandle& h, uint64_t end) {
  return h.offset <= end && h.size <= end - h.offset &&
         kBlockTrailerSize <= end - h.offset - h.size;
}

void FixBlock(std::string* file, const BlockHandle& h, uint64_t end) {
  if (!Inside(h, end)) return;
  std::string sum;
  PutFixed64(&sum, XXH64(file->data() + h.offset, h.size + 1, 0));
  file->replace(h.offset + h.size + 1, 8, sum);
}

void FixChecksums(std::string* file) {
  if (file->size() < kFooterSize) return;
  uint64_t end = file->size() - kFooterSize;
  char* footer = file->data() + end;
  std::string sum;
  PutFixed32(&sum, static_cast<uint32_t>(XXH64(footer, 52, 0)));
  file->replace(end + 52, 4, sum);
  BlockHandle handles[3];
  for (int i = 0; i < 3; ++i) {
    handles[i].offset = DecodeFixed64(footer + 16 * i);
    handles[i].size = DecodeFixed64(footer + 16 * i + 8);
    FixBlock(file, handles[i], end);
  }
  // The index (handles[0]) lists the data blocks.
  if (!Inside(handles[0], end)) return;
  auto raw = DecodeBlock(
      std::string_view(*file).substr(handles[0].offset, handles[0].size + kBlockTrailerSize),
      "index");
  if (!raw.ok()) return;
  auto index = Block::Parse(std::move(raw).value(), "index");
  if (!index.ok()) return;
  auto it = Block::NewIterator(*index);
  int n = 0;
  for (it->SeekToFirst(); it->Valid() && n < 10'000; it->Next(), ++n) {
    std::string_view v = it->value();
    BlockHandle h;
    if (DecodeBlockHandle(&v, &h)) FixBlock(file, h, end);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file(fuzz::View(data, size));
  FixChecksums(&file);
  auto store = fuzz::FreshStore("fuzz-sst");
  const std::string key = "data/0000000000000001.sst";
  if (!store->Put(key, file).ok()) fuzz::Fail("put");
  BlockCache cache(1 << 20);
  auto reader = TableReader::Open(store.get(), key, 1, &cache);
  if (!reader.ok()) return 0;
  const TableProperties& props = (*reader)->properties();
  (void)(*reader)->MayContain(UserPart(props.smallest_key));
  (void)(*reader)->MayContain("x");

  // A full scan, twice (the second from the cache). A damaged but checksummed file
  // may hold keys out of order: the reader need not notice, only survive it.
  for (int pass = 0; pass < 2; ++pass) {
    auto it = (*reader)->NewIterator();
    int n = 0;
    for (it->SeekToFirst(); it->Valid() && n < 100'000; it->Next(), ++n) {
      (void)it->key();
      (void)it->value();
    }
    (void)it->status();
  }
  for (std::string_view target :
       {std::string_view(props.smallest_key), std::string_view(props.largest_key),
        std::string_view(file).substr(0, std::min<size_t>(file.size(), 24))}) {
    auto it = (*reader)->NewIterator();
    it->Seek(target);
    for (int n = 0; it->Valid() && n < 3; ++n) it->Next();
    (void)it->status();
  }
  return 0;
}
