#include "storage/compaction_reservations.h"

#include <algorithm>

#include "sst/internal_key.h"

namespace cairn {

std::pair<std::string, std::string> CompactionRange(const Compaction& c) {
  std::string_view lo = sst::UserPart(c.inputs.front()->smallest_key);
  std::string_view hi = sst::UserPart(c.inputs.front()->largest_key);
  for (const SstRef& f : c.inputs) {
    lo = std::min(lo, sst::UserPart(f->smallest_key));
    hi = std::max(hi, sst::UserPart(f->largest_key));
  }
  return {std::string(lo), std::string(hi)};
}

bool CompactionReservations::Admits(const Compaction& c) const {
  for (const SstRef& f : c.inputs) {
    if (Holds(f->object_id)) return false;
  }
  auto [lo, hi] = CompactionRange(c);
  for (const auto& [token, r] : running_) {
    if (c.level == 0 && r.from_level0) return false;
    if (lo <= r.hi && r.lo <= hi) return false;
  }
  return true;
}

CompactionReservations::Token CompactionReservations::Reserve(const Compaction& c) {
  Running r;
  std::tie(r.lo, r.hi) = CompactionRange(c);
  r.from_level0 = c.level == 0;
  for (const SstRef& f : c.inputs) {
    r.ids.push_back(f->object_id);
    held_.insert(f->object_id);
  }
  Token token = next_++;
  running_.emplace(token, std::move(r));
  return token;
}

void CompactionReservations::Release(Token token) {
  auto it = running_.find(token);
  if (it == running_.end()) return;
  for (uint64_t id : it->second.ids) held_.erase(id);
  running_.erase(it);
}

}  // namespace cairn
