#include "storage/version.h"

#include <algorithm>

#include "sst/internal_key.h"

namespace cairn {

Result<std::shared_ptr<const Version>> Version::Make(uint64_t version_id,
                                                     std::vector<SstMeta> files) {
  auto v = std::make_shared<Version>();
  v->version_id_ = version_id;
  for (auto& f : files) {
    if (f.level < 0 || f.level >= kMaxLevels) {
      return Status::Corruption("SST " + SstObjectKey(f.object_id) + " is at level " +
                                std::to_string(f.level) + "; this build knows levels 0.." +
                                std::to_string(kMaxLevels - 1));
    }
    v->levels_[f.level].push_back(std::make_shared<const SstMeta>(std::move(f)));
  }
  // L0: newest first. Checkpoint SSTs have disjoint epoch ranges, so the max epoch
  // orders them; the object id breaks ties between outputs of one checkpoint.
  std::sort(v->levels_[0].begin(), v->levels_[0].end(), [](const SstRef& a, const SstRef& b) {
    if (a->max_epoch != b->max_epoch) return a->max_epoch > b->max_epoch;
    return a->object_id > b->object_id;
  });
  for (int i = 1; i < kMaxLevels; ++i) {
    std::sort(v->levels_[i].begin(), v->levels_[i].end(), [](const SstRef& a, const SstRef& b) {
      return sst::CompareInternalKeys(a->smallest_key, b->smallest_key) < 0;
    });
  }
  return std::shared_ptr<const Version>(std::move(v));
}

Result<std::shared_ptr<const Version>> Version::Apply(uint64_t version_id,
                                                      const VersionEdit& edit) const {
  std::set<uint64_t> removed(edit.removed.begin(), edit.removed.end());
  for (const SstMeta& f : edit.moved) removed.insert(f.object_id);
  std::vector<SstMeta> files;
  for (const SstRef& f : AllFiles()) {
    if (!removed.count(f->object_id)) files.push_back(*f);
  }
  files.insert(files.end(), edit.added.begin(), edit.added.end());
  files.insert(files.end(), edit.moved.begin(), edit.moved.end());
  return Make(version_id, std::move(files));
}

std::vector<SstRef> Version::AllFiles() const {
  std::vector<SstRef> all;
  for (const auto& level : levels_) all.insert(all.end(), level.begin(), level.end());
  return all;
}

bool Version::Contains(uint64_t object_id) const { return Find(object_id) != nullptr; }

SstRef Version::Find(uint64_t object_id) const {
  for (const auto& level : levels_) {
    for (const auto& f : level) {
      if (f->object_id == object_id) return f;
    }
  }
  return nullptr;
}

uint64_t Version::LevelBytes(int i) const {
  uint64_t bytes = 0;
  for (const auto& f : levels_[i]) bytes += f->file_size;
  return bytes;
}

std::vector<SstRef> Version::Overlapping(int level, std::string_view lo,
                                         std::string_view hi) const {
  const auto& files = levels_[level];
  auto it = std::lower_bound(
      files.begin(), files.end(), lo,
      [](const SstRef& f, std::string_view k) { return sst::UserPart(f->largest_key) < k; });
  std::vector<SstRef> out;
  for (; it != files.end() && sst::UserPart((*it)->smallest_key) <= hi; ++it) out.push_back(*it);
  return out;
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
