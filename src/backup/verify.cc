#include "backup/verify.h"

#include <algorithm>
#include <charconv>

#include "backup/snapshot_file.h"
#include "meta/keys.h"
#include "sst/table_reader.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

constexpr size_t kMaxNamed = 5;  // SSTs named in one error message

// Listings and snapshots come in id order (keys hold the id in hex): then O(n).
void SortById(std::vector<SnapshotSst>* ssts) {
  auto by_id = [](const SnapshotSst& a, const SnapshotSst& b) { return a.id < b.id; };
  if (!std::is_sorted(ssts->begin(), ssts->end(), by_id)) {
    std::sort(ssts->begin(), ssts->end(), by_id);
  }
}

// Every object under data/ that parses as an SST key, sorted by id.
Status ListSsts(ObjectStore* objects, std::vector<SnapshotSst>* listed, uint64_t* max_listed) {
  CAIRN_RETURN_IF_ERROR(ListAll(*objects, kSstObjectPrefix, [&](const ObjectMeta& meta) {
    uint64_t id = 0;
    if (ParseSstObjectKey(meta.key, &id)) {
      listed->push_back({id, meta.size});
      *max_listed = std::max(*max_listed, id);
    }
    return Status::OK();
  }));
  SortById(listed);
  return Status::OK();
}

// The first kMaxNamed of `parts` joined by `separator`, then "..." when `total` is more.
std::string JoinNamed(const std::vector<std::string>& parts, size_t total,
                      std::string_view separator = ", ") {
  std::string out;
  for (size_t i = 0; i < parts.size() && i < kMaxNamed; ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out + (total > kMaxNamed ? std::string(separator) + "..." : "");
}

// Collects what verify needs from one snapshot record: SSTs with their recorded sizes
// and id generators.
Status ObserveRecord(const SnapshotEntry& entry, std::string_view key, std::string_view value,
                     VerifiedSnapshot* out) {
  uint64_t id = 0;
  if (key.starts_with(keys::kStorageSstPrefix) &&
      ParseHexId(key.substr(keys::kStorageSstPrefix.size()), &id)) {
    auto sst = DecodeSstMeta(value);
    if (!sst.ok()) {
      return sst.status().WithContext("snapshot " + entry.file + ", key " + std::string(key));
    }
    out->ssts.push_back({id, sst->file_size});
  } else if (key.starts_with(keys::kIdPrefix)) {
    uint64_t v = 0;
    std::from_chars(value.data(), value.data() + value.size(), v);
    out->id_generators[std::string(key.substr(keys::kIdPrefix.size()))] = v;
  }
  return Status::OK();
}

}  // namespace

// "00000000000004d2..." -> 0x4d2 (the id in a storage/sst/<id> meta key).
bool ParseHexId(std::string_view text, uint64_t* id) {
  if (text.size() < 16) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + 16, *id, 16);
  return ec == std::errc() && end == text.data() + 16;
}

Status ReadListedSnapshot(ObjectStore* backups, const SnapshotEntry& entry,
                          const SnapshotRecordFn& fn, uint64_t* records) {
  SnapshotHeader header;
  SnapshotFileInfo info;
  Status status = ReadSnapshot(backups, entry.file, &header, &info, fn);
  if (status.IsNotFound()) {
    return Status::NotFound("manifest.json lists snapshot " + std::to_string(entry.id) +
                            " but its file " + entry.file + " is missing from " +
                            backups->DescribeForLog());
  }
  CAIRN_RETURN_IF_ERROR(status);
  if (header.snapshot_id != entry.id || info.checksum != entry.checksum ||
      info.file_size != entry.file_size) {
    return Status::Corruption("snapshot file " + entry.file +
                              " does not match its manifest entry (id, size or checksum differ)");
  }
  if (header.cluster_id != entry.cluster_id) {
    return Status::InvalidArgument("snapshot " + entry.file + " belongs to cluster " +
                                   header.cluster_id + " but the manifest says " +
                                   entry.cluster_id);
  }
  // Files from before issue 12 do not record their timeline.
  if (header.timeline_recorded && header.timeline != entry.timeline) {
    return Status::Corruption("snapshot file " + entry.file + " was cut on timeline " +
                              std::to_string(header.timeline) + " but its manifest entry says " +
                              std::to_string(entry.timeline));
  }
  if (records != nullptr) *records = info.record_count;
  return Status::OK();
}

// Pass 1: checksum, format, identity, and the SSTs and id generators it holds.
Result<VerifiedSnapshot> VerifySnapshot(BackupStorage* backups, const SnapshotEntry& entry) {
  VerifiedSnapshot out;
  CAIRN_RETURN_IF_ERROR(ReadListedSnapshot(
      backups->store(), entry,
      [&](std::string_view key, std::string_view value) {
        return ObserveRecord(entry, key, value, &out);
      },
      &out.records));
  return out;
}

// One listing of data/ (not one request per SST), then a merge of two id-sorted lists.
Status VerifySsts(ObjectStore* objects, std::vector<SnapshotSst> wanted, uint64_t* max_listed) {
  std::vector<SnapshotSst> listed;
  CAIRN_RETURN_IF_ERROR(ListSsts(objects, &listed, max_listed));
  SortById(&wanted);
  std::vector<std::string> missing, resized;
  size_t missing_count = 0, resized_count = 0;
  auto it = listed.begin();
  for (const SnapshotSst& want : wanted) {
    while (it != listed.end() && it->id < want.id) ++it;
    if (it == listed.end() || it->id != want.id) {
      if (++missing_count <= kMaxNamed) missing.push_back(SstObjectKey(want.id));
    } else if (it->size != want.size) {
      if (++resized_count <= kMaxNamed) {
        resized.push_back(SstObjectKey(want.id) + " is " + std::to_string(it->size) +
                          " bytes, the snapshot records " + std::to_string(want.size));
      }
    }
  }
  if (missing_count > 0) {
    return Status::NotFound("snapshot references " + std::to_string(missing_count) +
                            " SST(s) missing from object store " + objects->DescribeForLog() +
                            ": " + JoinNamed(missing, missing_count));
  }
  if (resized_count == 0) return Status::OK();
  return Status::Corruption(
      std::to_string(resized_count) + " SST(s) in object store " + objects->DescribeForLog() +
      " differ from the snapshot: " + JoinNamed(resized, resized_count, "; "));
}

namespace {

// The footer again (TableReader keeps its copy private), and a check that the filter,
// properties and index blocks are back to back up to the footer, as the builder writes
// them: then every byte of the object is under a checksum.
Result<sst::Footer> ReadFooter(ObjectStore* objects, const std::string& key, uint64_t size,
                               DeepVerifyStats* stats) {
  const std::string what = "SST " + key;
  CAIRN_ASSIGN_OR_RETURN(std::string bytes,
                         objects->GetRange(key, size - sst::kFooterSize, sst::kFooterSize));
  stats->bytes_read += bytes.size();
  CAIRN_ASSIGN_OR_RETURN(sst::Footer footer, sst::DecodeFooter(bytes, what));
  uint64_t next = footer.filter.offset;
  for (const sst::BlockHandle* h : {&footer.filter, &footer.properties, &footer.index}) {
    if (h->offset != next) return Status::Corruption(what + ": meta blocks are not contiguous");
    next = h->offset + h->size + sst::kBlockTrailerSize;
  }
  if (next != size - sst::kFooterSize) {
    return Status::Corruption(what + ": bytes between the index block and the footer");
  }
  return footer;
}

// Reads every data block the index names, one ranged GET at a time, and counts their
// entries. The blocks must cover [0, data_end) in order, with no gap or overlap.
Status ReadDataBlocks(const sst::TableReader& reader, std::shared_ptr<const sst::Block> index,
                      uint64_t data_end, DeepVerifyStats* stats, uint64_t* entries) {
  const std::string what = "SST " + reader.object_key();
  uint64_t next = 0;
  auto it = sst::Block::NewIterator(std::move(index));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view in = it->value();
    sst::BlockHandle handle;
    if (!sst::DecodeBlockHandle(&in, &handle)) {
      return Status::Corruption(what + ": bad index entry");
    }
    if (handle.offset != next) {
      return Status::Corruption(what + " block at offset " + std::to_string(handle.offset) +
                                ": expected the next data block at offset " + std::to_string(next));
    }
    CAIRN_ASSIGN_OR_RETURN(auto block, reader.ReadBlock(handle));
    next = handle.offset + handle.size + sst::kBlockTrailerSize;
    stats->bytes_read += handle.size + sst::kBlockTrailerSize;
    auto entry = sst::Block::NewIterator(std::move(block));
    for (entry->SeekToFirst(); entry->Valid(); entry->Next()) ++*entries;
    CAIRN_RETURN_IF_ERROR(entry->status());
  }
  CAIRN_RETURN_IF_ERROR(it->status());
  if (next != data_end) {
    return Status::Corruption(what + ": data blocks end at offset " + std::to_string(next) +
                              ", the filter block starts at " + std::to_string(data_end));
  }
  return Status::OK();
}

}  // namespace

// TableReader::Open checks the footer and the filter, properties and index blocks; then
// every data block is read without a cache and checked (checksum, decompression,
// entries), and the entry count is compared with the properties.
Status VerifySstDeep(ObjectStore* objects, std::string_view key, uint64_t size,
                     DeepVerifyStats* stats) {
  DeepVerifyStats local;
  if (stats == nullptr) stats = &local;
  const std::string name(key);
  CAIRN_ASSIGN_OR_RETURN(auto reader,
                         sst::TableReader::Open(objects, name, /*object_id=*/0, /*cache=*/nullptr));
  if (reader->file_size() != size) {
    return Status::Corruption("SST " + name + " is " + std::to_string(reader->file_size()) +
                              " bytes, the snapshot records " + std::to_string(size));
  }
  CAIRN_ASSIGN_OR_RETURN(sst::Footer footer, ReadFooter(objects, name, size, stats));
  // What Open read: its footer, then filter + properties + index in one range.
  stats->bytes_read += size - footer.filter.offset;
  CAIRN_ASSIGN_OR_RETURN(auto index, reader->ReadBlock(footer.index));
  stats->bytes_read += footer.index.size + sst::kBlockTrailerSize;
  uint64_t entries = 0;
  CAIRN_RETURN_IF_ERROR(ReadDataBlocks(*reader, index, footer.filter.offset, stats, &entries));
  stats->entries += entries;
  if (entries != reader->properties().entry_count) {
    return Status::Corruption("SST " + name + ": data blocks hold " + std::to_string(entries) +
                              " entries, its properties say " +
                              std::to_string(reader->properties().entry_count));
  }
  return Status::OK();
}

// One SST at a time, so memory stays bounded by the largest SST's index + one block.
Status VerifySstsDeep(ObjectStore* objects, const std::vector<SnapshotSst>& ssts,
                      const DeepVerifyProgress& progress, DeepVerifyStats* stats) {
  DeepVerifyStats local;
  if (stats == nullptr) stats = &local;
  std::vector<std::string> damaged;
  size_t damaged_count = 0;
  for (size_t i = 0; i < ssts.size(); ++i) {
    Status s = VerifySstDeep(objects, SstObjectKey(ssts[i].id), ssts[i].size, stats);
    if (s.IsCorruption()) {
      if (++damaged_count <= kMaxNamed) damaged.push_back(s.message());
    } else if (!s.ok()) {
      return s;
    }
    if (progress) CAIRN_RETURN_IF_ERROR(progress(i + 1, ssts.size(), stats->bytes_read));
  }
  if (damaged_count == 0) return Status::OK();
  return Status::Corruption(std::to_string(damaged_count) + " of " + std::to_string(ssts.size()) +
                            " SSTs are damaged: " + JoinNamed(damaged, damaged_count, "; "));
}

}  // namespace cairn
