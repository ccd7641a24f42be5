#include "storage/version.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "sst/internal_key.h"

namespace cairn {
namespace {

// L0: newest first. Checkpoint SSTs have disjoint epoch ranges, so the max epoch orders
// them; the object id breaks ties between outputs of one checkpoint.
bool L0Order(const SstRef& a, const SstRef& b) {
  if (a->max_epoch != b->max_epoch) return a->max_epoch > b->max_epoch;
  return a->object_id > b->object_id;
}

bool SortedLevelOrder(const SstRef& a, const SstRef& b) {
  return sst::CompareInternalKeys(a->smallest_key, b->smallest_key) < 0;
}

// The first 16 bytes of `key`'s user part, big-endian, zero-padded: if one user part
// sorts before another, its prefix is <= the other's (equal prefixes need the keys).
std::pair<uint64_t, uint64_t> KeyPrefix(std::string_view key) {
  std::string_view user = sst::UserPart(key);
  uint64_t word[2] = {0, 0};
  for (size_t i = 0; i < 16 && i < user.size(); ++i) {
    word[i / 8] |= uint64_t{static_cast<unsigned char>(user[i])} << (56 - 8 * (i % 8));
  }
  return {word[0], word[1]};
}

// Sorts a level by smallest key; O(n) when it already is (SSTs stored in key order).
// Comparing keys through 1M shared_ptrs is cache misses and memcmp (perf of open at 1M
// SSTs); sorting (key prefix, position) pairs compares whole keys only on equal prefixes.
void SortLevel(std::vector<SstRef>* files) {
  if (std::is_sorted(files->begin(), files->end(), SortedLevelOrder)) return;
  struct Entry {
    std::pair<uint64_t, uint64_t> prefix;
    size_t index;
  };
  std::vector<Entry> entries;
  entries.reserve(files->size());
  for (size_t i = 0; i < files->size(); ++i) {
    entries.push_back({KeyPrefix((*files)[i]->smallest_key), i});
  }
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return SortedLevelOrder((*files)[a.index], (*files)[b.index]);
  });
  // files[i] = old files[entries[i].index], in place, one cycle of the permutation at a
  // time (a second vector would add 16 bytes per SST to the peak of open).
  constexpr size_t kPlaced = SIZE_MAX;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].index == kPlaced) continue;
    SstRef first = std::move((*files)[i]);
    size_t j = i;
    while (entries[j].index != i) {
      const size_t from = entries[j].index;
      (*files)[j] = std::move((*files)[from]);
      entries[j].index = kPlaced;
      j = from;
    }
    (*files)[j] = std::move(first);
    entries[j].index = kPlaced;
  }
}

}  // namespace

Result<std::shared_ptr<const Version>> Version::Make(uint64_t version_id,
                                                     std::vector<SstMeta> files) {
  std::vector<SstRef> refs;
  refs.reserve(files.size());
  for (auto& f : files) refs.push_back(std::make_shared<const SstMeta>(std::move(f)));
  return Make(version_id, refs);
}

Result<std::shared_ptr<const Version>> Version::Make(uint64_t version_id,
                                                     const std::vector<SstRef>& files) {
  auto v = std::make_shared<Version>();
  v->version_id_ = version_id;
  v->ids_.reserve(files.size());
  for (const SstRef& f : files) {
    v->ids_.push_back(f->object_id);
    if (f->level < 0 || f->level >= kMaxLevels) {
      return Status::Corruption("SST " + SstObjectKey(f->object_id) + " is at level " +
                                std::to_string(f->level) + "; this build knows levels 0.." +
                                std::to_string(kMaxLevels - 1));
    }
    v->levels_[f->level].push_back(f);
  }
  std::sort(v->levels_[0].begin(), v->levels_[0].end(), L0Order);
  for (int i = 1; i < kMaxLevels; ++i) SortLevel(&v->levels_[i]);
  // The loader passes SSTs in id order (storage/sst/<id> keys): then this is O(n).
  if (!std::is_sorted(v->ids_.begin(), v->ids_.end())) std::sort(v->ids_.begin(), v->ids_.end());
  v->SumLevelBytes();
  return std::shared_ptr<const Version>(std::move(v));
}

Result<std::shared_ptr<const Version>> Version::Apply(uint64_t version_id,
                                                      const VersionEdit& edit) const {
  std::vector<SstMeta> added = edit.added;
  added.insert(added.end(), edit.moved.begin(), edit.moved.end());
  CAIRN_ASSIGN_OR_RETURN(auto fresh, Make(version_id, std::move(added)));
  std::vector<uint64_t> removed(edit.removed.begin(), edit.removed.end());
  for (const SstMeta& f : edit.moved) removed.push_back(f.object_id);
  std::sort(removed.begin(), removed.end());
  auto is_removed = [&](const SstRef& f) {
    return std::binary_search(removed.begin(), removed.end(), f->object_id);
  };
  auto v = std::make_shared<Version>();
  v->version_id_ = version_id;
  for (int i = 0; i < kMaxLevels; ++i) {
    const auto& old_level = levels_[i];
    const auto& new_files = fresh->levels_[i];
    auto& level = v->levels_[i];
    level.reserve(old_level.size() + new_files.size());
    for (const SstRef& f : old_level) {
      if (removed.empty() || !is_removed(f)) level.push_back(f);
    }
    if (new_files.empty()) continue;
    auto mid = level.insert(level.end(), new_files.begin(), new_files.end());
    std::inplace_merge(level.begin(), mid, level.end(), i == 0 ? L0Order : SortedLevelOrder);
  }
  v->ids_.reserve(ids_.size() + fresh->ids_.size());
  std::set_difference(ids_.begin(), ids_.end(), removed.begin(), removed.end(),
                      std::back_inserter(v->ids_));
  auto mid = v->ids_.insert(v->ids_.end(), fresh->ids_.begin(), fresh->ids_.end());
  std::inplace_merge(v->ids_.begin(), mid, v->ids_.end());
  v->SumLevelBytes();
  return std::shared_ptr<const Version>(std::move(v));
}

std::vector<SstRef> Version::AllFiles() const {
  std::vector<SstRef> all;
  for (const auto& level : levels_) all.insert(all.end(), level.begin(), level.end());
  return all;
}

bool Version::Contains(uint64_t object_id) const {
  return std::binary_search(ids_.begin(), ids_.end(), object_id);
}

SstRef Version::Find(uint64_t object_id) const {
  if (!Contains(object_id)) return nullptr;
  for (const auto& level : levels_) {
    for (const auto& f : level) {
      if (f->object_id == object_id) return f;
    }
  }
  return nullptr;
}

void Version::SumLevelBytes() {
  for (int i = 0; i < kMaxLevels; ++i) {
    level_bytes_[i] = 0;
    for (const auto& f : levels_[i]) level_bytes_[i] += f->file_size;
  }
}

std::vector<SstRef> Version::Overlapping(int level, std::string_view lo,
                                         std::string_view hi) const {
  auto [first, last] = OverlappingRange(level, lo, hi);
  return std::vector<SstRef>(levels_[level].begin() + first, levels_[level].begin() + last);
}

std::pair<size_t, size_t> Version::OverlappingRange(int level, std::string_view lo,
                                                    std::string_view hi) const {
  const auto& files = levels_[level];
  auto first = std::lower_bound(
      files.begin(), files.end(), lo,
      [](const SstRef& f, std::string_view k) { return sst::UserPart(f->largest_key) < k; });
  auto last = std::upper_bound(first, files.end(), hi, [](std::string_view k, const SstRef& f) {
    return k < sst::UserPart(f->smallest_key);
  });
  return {first - files.begin(), last - files.begin()};
}

bool Version::MayHaveBelow(int level, std::string_view user_part) const {
  for (int i = std::max(level + 1, 1); i < kMaxLevels; ++i) {
    const auto& files = levels_[i];
    auto it = std::lower_bound(
        files.begin(), files.end(), user_part,
        [](const SstRef& f, std::string_view k) { return sst::UserPart(f->largest_key) < k; });
    if (it != files.end() && sst::UserPart((*it)->smallest_key) <= user_part) return true;
  }
  return false;
}

int Version::DeepestLevel() const {
  for (int i = kMaxLevels - 1; i > 0; --i) {
    if (!levels_[i].empty()) return i;
  }
  return 0;
}

}  // namespace cairn
