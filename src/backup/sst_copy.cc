#include "backup/sst_copy.h"

#include <xxhash.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "object_store/encrypted_object_store.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

constexpr uint64_t kPiece = uint64_t{4} << 20;  // bytes read and appended at a time
constexpr size_t kMaxNamed = 5;

std::string Named(const std::vector<std::string>& names, size_t total) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxNamed; ++i) out += (i ? "; " : "") + names[i];
  return out + (total > kMaxNamed ? "; ..." : "");
}

// Runs fn(0..n-1) on up to `threads` threads; stops handing out work after the first
// error, which it returns.
Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first;
  auto work = [&] {
    while (!failed) {
      size_t i = next++;
      if (i >= n) return;
      Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first.ok()) first = s;
        failed = true;
      }
    }
  };
  size_t k = std::min<size_t>(std::max(threads, 1), n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < k; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return first;
}

// Every object under `prefix` whose key `parse` accepts: id -> size.
Result<std::unordered_map<uint64_t, uint64_t>> ListIds(ObjectStore* store, std::string_view prefix,
                                                       bool (*parse)(std::string_view, uint64_t*)) {
  std::unordered_map<uint64_t, uint64_t> out;
  CAIRN_RETURN_IF_ERROR(ListAll(*store, prefix, [&](const ObjectMeta& meta) {
    uint64_t id = 0;
    if (parse(meta.key, &id)) out[id] = meta.size;
    return Status::OK();
  }));
  return out;
}

struct Hasher {
  XXH64_state_t* state = XXH64_createState();
  Hasher() { XXH64_reset(state, 0); }
  ~Hasher() { XXH64_freeState(state); }
  void Update(std::string_view s) { XXH64_update(state, s.data(), s.size()); }
  uint64_t Digest() const { return XXH64_digest(state); }
};

std::string Short(const std::string& key, ObjectStore* store, uint64_t got, uint64_t size) {
  return key + " in " + store->DescribeForLog() + " ends after " + std::to_string(got) +
         " bytes, expected " + std::to_string(size);
}

}  // namespace

Result<uint64_t> StreamCopy(ObjectStore* from, const std::string& from_key, ObjectStore* to,
                            const std::string& to_key, uint64_t size,
                            const uint64_t* expected_checksum, CopyProgress* progress) {
  CAIRN_ASSIGN_OR_RETURN(auto writer, to->NewWriter(to_key, WriteMode::kCreateOnly));
  Hasher hash;
  for (uint64_t offset = 0; offset < size;) {
    auto piece = from->GetRange(from_key, offset, std::min(kPiece, size - offset));
    if (!piece.ok()) return writer->Abort(), piece.status();
    if (piece->empty()) {
      writer->Abort();
      return Status::Corruption("copy source " + Short(from_key, from, offset, size));
    }
    hash.Update(*piece);
    Status appended = writer->Append(*piece);
    if (!appended.ok()) return writer->Abort(), appended.WithContext("copy to " + to_key);
    offset += piece->size();
    if (progress) progress->bytes_done += piece->size();
  }
  if (expected_checksum && hash.Digest() != *expected_checksum) {
    writer->Abort();
    return Status::Corruption(from_key + " in " + from->DescribeForLog() +
                              ": checksum mismatch (xxhash64 " + std::to_string(hash.Digest()) +
                              ", the copy list records " + std::to_string(*expected_checksum) +
                              ")");
  }
  CAIRN_RETURN_IF_ERROR(writer->Finish().WithContext("copy to " + to_key));
  if (progress) ++progress->ssts_done;
  return hash.Digest();
}

Result<uint64_t> HashObject(ObjectStore* store, const std::string& key, uint64_t size,
                            CopyProgress* progress) {
  Hasher hash;
  for (uint64_t offset = 0; offset < size;) {
    CAIRN_ASSIGN_OR_RETURN(std::string piece,
                           store->GetRange(key, offset, std::min(kPiece, size - offset)));
    if (piece.empty()) return Status::Corruption(Short(key, store, offset, size));
    hash.Update(piece);
    offset += piece.size();
    if (progress) progress->bytes_done += piece.size();
  }
  return hash.Digest();
}

Result<std::vector<SstCopy>> CopySstsToBackup(ObjectStore* objects, ObjectStore* backups,
                                              const std::vector<SnapshotSst>& ssts_in,
                                              const std::vector<SstCopy>& known,
                                              const CopyOptions& options, CopyStats* stats) {
  std::vector<SnapshotSst> ssts = ssts_in;
  std::sort(ssts.begin(), ssts.end(),
            [](const SnapshotSst& a, const SnapshotSst& b) { return a.id < b.id; });
  std::unordered_map<uint64_t, const SstCopy*> by_id;
  for (const SstCopy& c : known) by_id[c.id] = &c;
  CAIRN_ASSIGN_OR_RETURN(auto listed, ListIds(backups, kCopyPrefix, &ParseCopyKey));
  std::vector<SstCopy> out(ssts.size());
  std::vector<size_t> todo;
  uint64_t todo_bytes = 0;
  for (size_t i = 0; i < ssts.size(); ++i) {
    const SnapshotSst& s = ssts[i];
    auto k = by_id.find(s.id);
    auto l = listed.find(s.id);
    if (k != by_id.end() && k->second->size == s.size && l != listed.end() &&
        ListedSizeFits(l->second, s.size)) {
      out[i] = *k->second;
      ++stats->reused_ssts;
    } else {
      todo.push_back(i);
      todo_bytes += s.size;
    }
  }
  if (options.progress) options.progress->Reset(todo.size(), todo_bytes);
  std::mutex mu;
  Status copied = ParallelFor(todo.size(), options.threads, [&](size_t t) -> Status {
    const SnapshotSst& s = ssts[todo[t]];
    const std::string key = CopyKey(s.id), source = SstObjectKey(s.id);
    auto l = listed.find(s.id);
    if (l != listed.end() && ListedSizeFits(l->second, s.size)) {
      // Left by a failed run: adopt it when it holds the source's bytes.
      CAIRN_ASSIGN_OR_RETURN(uint64_t want, HashObject(objects, source, s.size, options.progress));
      CAIRN_ASSIGN_OR_RETURN(uint64_t have, HashObject(backups, key, s.size));
      if (want == have) {
        out[todo[t]] = {s.id, s.size, want};
        if (options.progress) ++options.progress->ssts_done;
        std::lock_guard lock(mu);
        ++stats->adopted_ssts, stats->adopted_bytes += s.size;
        return Status::OK();
      }
    }
    if (l != listed.end()) CAIRN_RETURN_IF_ERROR(backups->Delete(key));  // damaged leftover
    CAIRN_ASSIGN_OR_RETURN(
        uint64_t sum, StreamCopy(objects, source, backups, key, s.size, nullptr, options.progress));
    out[todo[t]] = {s.id, s.size, sum};
    std::lock_guard lock(mu);
    ++stats->copied_ssts, stats->copied_bytes += s.size;
    return Status::OK();
  });
  if (!copied.ok()) return copied;
  return out;
}

Result<CopyBackReport> CopySstsBack(ObjectStore* backups, ObjectStore* objects,
                                    const std::vector<SnapshotSst>& ssts,
                                    const std::vector<SstCopy>& copies, const std::string& what,
                                    bool dry_run, const CopyOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(auto present, ListIds(objects, kSstObjectPrefix, &ParseSstObjectKey));
  std::unordered_map<uint64_t, const SstCopy*> by_id;
  for (const SstCopy& c : copies) by_id[c.id] = &c;
  CopyBackReport report;
  std::vector<const SstCopy*> todo;
  std::vector<std::string> uncopied, bad;
  size_t uncopied_count = 0, bad_count = 0;
  for (const SnapshotSst& s : ssts) {
    if (present.count(s.id)) {
      ++report.present;
      continue;
    }
    auto c = by_id.find(s.id);
    if (c == by_id.end()) {
      if (++uncopied_count <= kMaxNamed) uncopied.push_back(SstObjectKey(s.id));
    } else if (c->second->size != s.size) {
      if (++bad_count <= kMaxNamed) {
        bad.push_back(CopyKey(s.id) + " is listed with " + std::to_string(c->second->size) +
                      " bytes, the snapshot records " + std::to_string(s.size));
      }
    } else {
      todo.push_back(c->second);
      report.bytes += s.size;
    }
  }
  if (uncopied_count > 0) {
    return Status::NotFound(std::to_string(uncopied_count) + " of " + std::to_string(ssts.size()) +
                            " SSTs are missing from object store " + objects->DescribeForLog() +
                            " and " + what +
                            (copies.empty() ? " is reference-only (created without --copy-data)"
                                            : " holds no copy of them") +
                            ": " + Named(uncopied, uncopied_count));
  }
  CAIRN_ASSIGN_OR_RETURN(auto listed, ListIds(backups, kCopyPrefix, &ParseCopyKey));
  std::vector<std::string> gone;
  size_t gone_count = 0;
  for (const SstCopy* c : todo) {
    auto l = listed.find(c->id);
    if (l == listed.end()) {
      if (++gone_count <= kMaxNamed) gone.push_back(CopyKey(c->id));
    } else if (!ListedSizeFits(l->second, c->size)) {
      if (++bad_count <= kMaxNamed) {
        bad.push_back(CopyKey(c->id) + " is " + std::to_string(l->second) +
                      " bytes, the copy list records " + std::to_string(c->size));
      }
    }
  }
  if (gone_count > 0) {
    return Status::NotFound(std::to_string(gone_count) + " copies of " + what +
                            " are missing from backup storage " + backups->DescribeForLog() + ": " +
                            Named(gone, gone_count));
  }
  if (bad_count > 0) {
    return Status::Corruption(std::to_string(bad_count) + " copies of " + what +
                              " in backup storage " + backups->DescribeForLog() +
                              " are damaged: " + Named(bad, bad_count));
  }
  report.missing = todo.size();
  if (dry_run || todo.empty()) return report;
  if (options.progress) options.progress->Reset(todo.size(), report.bytes);
  std::mutex mu;
  std::vector<uint64_t> created;
  Status copied = ParallelFor(todo.size(), options.threads, [&](size_t i) -> Status {
    const SstCopy* c = todo[i];
    CAIRN_RETURN_IF_ERROR(StreamCopy(backups, CopyKey(c->id), objects, SstObjectKey(c->id), c->size,
                                     &c->checksum, options.progress)
                              .status());
    std::lock_guard lock(mu);
    created.push_back(c->id);
    return Status::OK();
  });
  if (copied.IsCorruption()) {
    // A damaged copy: leave the object store as it was.
    for (uint64_t id : created) (void)objects->Delete(SstObjectKey(id));
  }
  if (!copied.ok()) return copied;
  return report;
}

Result<CopyBackReport> RestoreSstCopies(BackupStorage* backups, ObjectStore* objects,
                                        const SnapshotEntry& entry,
                                        const std::vector<SnapshotSst>& ssts, bool dry_run,
                                        const CopyOptions& options) {
  if (!entry.self_contained()) return CopyBackReport{};
  CAIRN_ASSIGN_OR_RETURN(auto copies, ReadCopyList(backups->store(), entry.copy.list));
  return CopySstsBack(backups->store(), objects, ssts, copies, "backup " + std::to_string(entry.id),
                      dry_run, options);
}

Status ReferenceOnlyMissing(const SnapshotEntry& entry, const Status& missing) {
  if (!missing.IsNotFound() || entry.self_contained()) return missing;
  return Status::NotFound(missing.message() + "; backup " + std::to_string(entry.id) +
                          " is reference-only (created without --copy-data): restore it with "
                          "the object store that holds its SSTs");
}

Status VerifyCopies(ObjectStore* backups, const std::vector<SstCopy>& copies, bool deep,
                    const std::function<Status(uint64_t, uint64_t, uint64_t)>& progress,
                    CopyVerifyStats* stats) {
  CAIRN_ASSIGN_OR_RETURN(auto listed, ListIds(backups, kCopyPrefix, &ParseCopyKey));
  std::vector<std::string> gone, bad;
  size_t gone_count = 0, bad_count = 0;
  for (const SstCopy& c : copies) {
    auto l = listed.find(c.id);
    if (l == listed.end()) {
      if (++gone_count <= kMaxNamed) gone.push_back(CopyKey(c.id));
    } else if (!ListedSizeFits(l->second, c.size)) {
      if (++bad_count <= kMaxNamed) {
        bad.push_back(CopyKey(c.id) + " is " + std::to_string(l->second) +
                      " bytes, the copy list records " + std::to_string(c.size));
      }
    }
  }
  if (gone_count > 0) {
    return Status::NotFound(std::to_string(gone_count) + " of " + std::to_string(copies.size()) +
                            " copied SSTs are missing from backup storage " +
                            backups->DescribeForLog() + ": " + Named(gone, gone_count));
  }
  for (size_t i = 0; deep && i < copies.size(); ++i) {
    const SstCopy& c = copies[i];
    if (!ListedSizeFits(listed[c.id], c.size)) continue;  // named above
    auto sum = HashObject(backups, CopyKey(c.id), c.size);
    if (sum.ok() && *sum != c.checksum) {
      sum = Status::Corruption(CopyKey(c.id) + ": checksum mismatch (xxhash64 " +
                               std::to_string(*sum) + ", the copy list records " +
                               std::to_string(c.checksum) + ")");
    }
    if (sum.status().IsCorruption()) {
      if (++bad_count <= kMaxNamed) bad.push_back(sum.status().message());
    } else if (!sum.ok()) {
      return sum.status();
    }
    ++stats->checked;
    stats->bytes_read += c.size;
    if (progress) CAIRN_RETURN_IF_ERROR(progress(i + 1, copies.size(), stats->bytes_read));
  }
  if (bad_count == 0) return Status::OK();
  return Status::Corruption(std::to_string(bad_count) + " of " + std::to_string(copies.size()) +
                            " copied SSTs in backup storage " + backups->DescribeForLog() +
                            " are damaged: " + Named(bad, bad_count));
}

Result<std::unordered_set<uint64_t>> NeededCopies(ObjectStore* backups, const Manifest& manifest) {
  std::unordered_set<uint64_t> needed;
  for (const SnapshotEntry& e : manifest.snapshots) {
    if (!e.self_contained()) continue;
    CAIRN_ASSIGN_OR_RETURN(auto list, ReadCopyList(backups, e.copy.list));
    for (const SstCopy& c : list) needed.insert(c.id);
  }
  return needed;
}

Result<uint64_t> DeleteUnneededCopies(ObjectStore* backups, const std::vector<SstCopy>& freed,
                                      const std::unordered_set<uint64_t>& needed) {
  uint64_t deleted = 0;
  for (const SstCopy& c : freed) {
    if (needed.count(c.id)) continue;
    CAIRN_RETURN_IF_ERROR(backups->Delete(CopyKey(c.id)));
    ++deleted;
  }
  return deleted;
}

Result<uint64_t> PurgeCopyOrphans(ObjectStore* backups, const Manifest& manifest,
                                  int64_t cutoff_ms) {
  std::unordered_set<std::string> lists;
  for (const SnapshotEntry& e : manifest.snapshots) {
    if (e.self_contained()) lists.insert(e.copy.list.key);
  }
  std::vector<std::string> doomed;
  CAIRN_RETURN_IF_ERROR(ListAll(*backups, kCopyListPrefix, [&](const ObjectMeta& meta) {
    if (!lists.count(meta.key) && meta.mtime_ms < cutoff_ms) doomed.push_back(meta.key);
    return Status::OK();
  }));
  std::vector<ObjectMeta> copies;
  CAIRN_RETURN_IF_ERROR(ListAll(*backups, kCopyPrefix, [&](const ObjectMeta& meta) {
    uint64_t id = 0;
    if (ParseCopyKey(meta.key, &id) && meta.mtime_ms < cutoff_ms) copies.push_back(meta);
    return Status::OK();
  }));
  if (!copies.empty()) {
    CAIRN_ASSIGN_OR_RETURN(auto needed, NeededCopies(backups, manifest));
    for (const ObjectMeta& meta : copies) {
      uint64_t id = 0;
      ParseCopyKey(meta.key, &id);
      if (!needed.count(id)) doomed.push_back(meta.key);
    }
  }
  for (const std::string& key : doomed) CAIRN_RETURN_IF_ERROR(backups->Delete(key));
  return doomed.size();
}

}  // namespace cairn
