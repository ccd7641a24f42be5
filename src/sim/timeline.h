// The model's history of one timeline: the client-visible state (and the SSTs of the
// version) after every changelog record, in seq order. It answers the two questions
// the oracle asks of a restore:
//   - the state at a changelog seq (a backup's cut, a restore's last record);
//   - the state at an epoch T, as docs/pitr.md defines it: after the longest prefix of
//     records whose epochs are all <= T (replay stops at the first record past T).
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "sim/model_state.h"

namespace cairn::sim {

using SstSet = std::set<uint64_t>;

struct HistoryEntry {
  uint64_t seq = 0;    // changelog seq of the record (the base: the seq it starts at)
  uint64_t epoch = 0;  // commit epoch of the record (the base: 0)
  int64_t wall_ms = 0;
  std::shared_ptr<const ClientState> state;
  std::shared_ptr<const SstSet> ssts;  // SST object ids of the version after the record
  int parent = 0;  // a timeline's base: the timeline the restored state came from
};

class History {
 public:
  explicit History(HistoryEntry base) { entries_.push_back(std::move(base)); }

  void Append(HistoryEntry entry) { entries_.push_back(std::move(entry)); }
  const HistoryEntry& last() const { return entries_.back(); }
  const HistoryEntry& base() const { return entries_.front(); }
  const std::vector<HistoryEntry>& entries() const { return entries_; }

  // The last entry with seq <= `seq` (the base when `seq` is older).
  const HistoryEntry& AtSeq(uint64_t seq) const;
  // The last entry of the longest prefix (after the base) of entries with epoch <= T.
  const HistoryEntry& AtEpoch(uint64_t epoch) const;

 private:
  std::vector<HistoryEntry> entries_;
};

}  // namespace cairn::sim
