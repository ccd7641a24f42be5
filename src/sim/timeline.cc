#include "sim/timeline.h"

#include <algorithm>

namespace cairn::sim {

const HistoryEntry& History::AtSeq(uint64_t seq) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), seq,
                             [](uint64_t s, const HistoryEntry& e) { return s < e.seq; });
  if (it == entries_.begin()) return entries_.front();
  return *std::prev(it);
}

const HistoryEntry& History::AtEpoch(uint64_t epoch) const {
  size_t i = 0;
  while (i + 1 < entries_.size() && entries_[i + 1].epoch <= epoch) ++i;
  return entries_[i];
}

}  // namespace cairn::sim
