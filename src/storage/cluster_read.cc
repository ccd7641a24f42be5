// The read path: point gets, scans and catalog lookups at a read epoch.
#include <algorithm>

#include "common/epoch.h"
#include "sst/bloom.h"
#include "sst/internal_key.h"
#include "storage/cluster_impl.h"
#include "storage/level_iterator.h"
#include "storage/merging_iterator.h"
#include "storage/scan_iterator.h"

namespace cairn {
namespace {

Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxUserKeySize) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxUserKeySize));
  }
  return Status::OK();
}

// Whether the SST may hold user parts in [begin, end] (end "" = unbounded).
bool Overlaps(const SstMeta& f, std::string_view begin, std::string_view end) {
  if (sst::UserPart(f.largest_key) < begin) return false;
  return end.empty() || sst::UserPart(f.smallest_key) <= end;
}

}  // namespace

Result<ClusterImpl::ReadContext> ClusterImpl::PrepareRead(uint32_t table_id,
                                                          const ReadOptions& options) {
  std::lock_guard lock(mu_);
  ReadContext ctx;
  ctx.epoch = committed_epoch_;
  if (options.as_of_epoch != 0) {
    ctx.as_of = options.as_of_epoch;
    if (options.as_of_epoch < committed_epoch_) {
      // Compaction keeps every version newer than the watermark, so only reads at or
      // above it are guaranteed to be exact.
      if (options.as_of_epoch < ReadableEpoch()) {
        return Status::InvalidArgument("as-of epoch " + std::to_string(options.as_of_epoch) +
                                       " is older than the PITR retention window (pitr_retention " +
                                       std::to_string(pitr_retention_ms_.load()) + " ms)");
      }
      ctx.epoch = options.as_of_epoch;
    }
  }
  if (!catalog_.Readable(table_id, ctx.as_of)) {
    return Status::NotFound("table id " + std::to_string(table_id));
  }
  ctx.version = version_;
  return ctx;
}

Result<std::shared_ptr<sst::TableReader>> ClusterImpl::Reader(const SstMeta& meta) {
  return tables_.Get(meta.object_id);
}

bool ClusterImpl::InCurrentVersion(uint64_t object_id) const {
  std::lock_guard lock(mu_);
  return version_ && version_->Contains(object_id);
}

Result<std::optional<std::optional<std::string>>> ClusterImpl::GetFromSst(
    const SstMeta& meta, std::string_view user_part, uint64_t bloom_hash,
    std::string_view seek_key) {
  using Found = std::optional<std::optional<std::string>>;
  CAIRN_ASSIGN_OR_RETURN(auto reader, Reader(meta));
  if (!reader->MayContainHash(bloom_hash)) return Found();
  std::string key, value;
  CAIRN_ASSIGN_OR_RETURN(bool any, reader->SeekFirst(seek_key, &key, &value));
  sst::ParsedInternalKey k;
  if (!any || !sst::ParseInternalKey(key, &k) || k.user_part != user_part) return Found();
  if (k.kind == sst::ValueKind::kDelete) return Found(std::optional<std::string>());
  return Found(std::optional<std::string>(std::move(value)));
}

Result<std::optional<std::string>> ClusterImpl::Get(uint32_t table_id, std::string_view key,
                                                    const ReadOptions& options) {
  CAIRN_RETURN_IF_ERROR(CheckKey(key));
  CAIRN_ASSIGN_OR_RETURN(ReadContext ctx, PrepareRead(table_id, options));
  std::string user_part = sst::MakeUserPart(table_id, key);
  std::string seek = sst::MakeSeekKey(table_id, key, ctx.epoch);
  const uint64_t bloom_hash = sst::BloomHash(user_part);
  // L0 newest first: checkpoint SSTs hold disjoint epoch ranges, and every L0 entry is
  // newer than every deeper entry of the same key, so the first hit is the answer.
  for (const SstRef& f : ctx.version->level(0)) {
    if (f->min_epoch > ctx.epoch || !Overlaps(*f, user_part, user_part)) continue;
    CAIRN_ASSIGN_OR_RETURN(auto found, GetFromSst(*f, user_part, bloom_hash, seek));
    if (found) return *found;
  }
  // Each deeper level is newer than the next, its SSTs do not overlap and never split
  // one user key, so one SST per level can hold it and the first hit is the answer.
  for (int level = 1; level < kMaxLevels; ++level) {
    const auto& files = ctx.version->level(level);
    auto it = std::lower_bound(
        files.begin(), files.end(), std::string_view(user_part),
        [](const SstRef& f, std::string_view up) { return sst::UserPart(f->largest_key) < up; });
    if (it == files.end() || (*it)->min_epoch > ctx.epoch ||
        !Overlaps(**it, user_part, user_part)) {
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(auto found, GetFromSst(**it, user_part, bloom_hash, seek));
    if (found) return *found;
  }
  return std::optional<std::string>();
}

Result<std::unique_ptr<ScanIterator>> ClusterImpl::Scan(uint32_t table_id, std::string_view from,
                                                        std::string_view to,
                                                        const ReadOptions& options) {
  if (from.size() > kMaxUserKeySize || to.size() > kMaxUserKeySize) {
    return Status::InvalidArgument("scan bound exceeds the key size limit");
  }
  CAIRN_ASSIGN_OR_RETURN(ReadContext ctx, PrepareRead(table_id, options));
  std::string begin = sst::MakeUserPart(table_id, from);
  // Without an upper key the table ends where the next table id begins.
  std::string end =
      to.empty() ? sst::MakeUserPart(table_id + 1, "") : sst::MakeUserPart(table_id, to);
  // SSTs wholly newer than the read hold nothing it sees.
  auto skip = [epoch = ctx.epoch](const SstMeta& f) { return f.min_epoch > epoch; };
  OpenSst open = [this](const SstMeta& f) -> Result<std::unique_ptr<sst::Iterator>> {
    CAIRN_ASSIGN_OR_RETURN(auto reader, Reader(f));
    return reader->NewIterator();
  };
  // One child per L0 SST (they overlap), one lazily opening child per deeper level.
  std::vector<std::unique_ptr<sst::Iterator>> children;
  for (const SstRef& f : ctx.version->level(0)) {
    if (skip(*f) || !Overlaps(*f, begin, end)) continue;
    CAIRN_ASSIGN_OR_RETURN(auto it, open(*f));
    children.push_back(std::move(it));
  }
  for (int level = 1; level < kMaxLevels; ++level) {
    auto [first, last] = ctx.version->OverlappingRange(level, begin, end);
    if (first == last) continue;
    children.push_back(NewLevelIterator(ctx.version, level, first, last, open, skip));
  }
  return NewUserScanIterator(NewMergingIterator(std::move(children)), ctx.version, table_id,
                             std::string(from), std::string(to), ctx.epoch, options.cancelled);
}

Result<std::vector<TableInfo>> ClusterImpl::ListTables(const ReadOptions& options) {
  std::lock_guard lock(mu_);
  if (options.as_of_epoch == 0) return catalog_.Live();
  return catalog_.ExistingAt(options.as_of_epoch);
}

Result<TableInfo> ClusterImpl::GetTable(std::string_view name, const ReadOptions& options) {
  std::lock_guard lock(mu_);
  const TableInfo* t = options.as_of_epoch == 0 ? catalog_.FindLive(name)
                                                : catalog_.FindAt(name, options.as_of_epoch);
  if (!t) return Status::NotFound("table '" + std::string(name) + "'");
  return *t;
}

}  // namespace cairn
