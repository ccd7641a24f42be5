// The model kept beside the system. It learns WHAT changed from the operations the
// workload issued (the rows of a write batch, the name of a table) and WHETHER and WHEN
// it changed from the changelog, which it follows record by record (read back from the
// meta store without faults, after every action). That is how the model reconciles
// outcomes the system itself could not know: a commit whose acknowledgement was lost is
// in the changelog, a commit that failed before it applied is not. Checkpoints apply the
// write batches pending in the memtables of the live process, in order.
//
// The model keeps the state after every record (timeline.h), per timeline: a restore
// starts a new timeline from the restored state; the first one is kept for PITR.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "meta/changelog.h"
#include "sim/timeline.h"
#include "storage/cluster.h"

namespace cairn::sim {

// What one changelog record did, as bit flags.
enum RecordKind : uint32_t {
  kAllocObject = 1u << 0,
  kAllocTable = 1u << 1,
  kAllocBackup = 1u << 2,
  kCheckpoint = 1u << 3,  // a version commit adding SSTs (or none), removing none
  kCompaction = 1u << 4,  // a version commit removing SSTs or moving them to another level
  kTableCreate = 1u << 5,
  kTableDrop = 1u << 6,
  kUserCreate = 1u << 7,
  kUserDrop = 1u << 8,
  kParam = 1u << 9,
  kPin = 1u << 10,
  kVacuum = 1u << 11,  // removes storage/stale/ keys
  kClusterId = 1u << 12,
  kUnknown = 1u << 13,  // a key the model does not know
};

std::string DescribeKinds(uint32_t kinds);

// A decimal meta value (ids/, meta/changelog_seq); 0 for anything else.
uint64_t ParseDecimalValue(std::string_view text);

struct RecordSummary {
  uint64_t seq = 0;
  uint64_t epoch = 0;
  uint32_t kinds = 0;
  std::vector<std::pair<std::string, uint32_t>> tables_created;  // name, id
  std::vector<std::string> tables_dropped;
  std::vector<std::string> users_created, users_dropped;
  std::vector<std::pair<std::string, std::string>> params;
  std::string unknown_key;
};

class Model {
 public:
  Model();

  const ClientState& durable() const { return *current().last().state; }
  const History& current() const { return timelines_.back(); }
  const History& first() const { return timelines_.front(); }
  int timeline() const { return static_cast<int>(timelines_.size()); }
  uint64_t last_seq() const { return current().last().seq; }

  // Write batches applied to the live process's memtable of `epoch` (what Write
  // returned), not yet in a checkpoint. A checkpoint record commits the memtables of
  // epochs up to its own (one per record, oldest first; older engines merged them).
  void AddPending(uint64_t epoch, std::vector<WriteBatch::Entry> batch);
  void DropPending() { pending_.clear(); }
  size_t pending() const { return pending_.size(); }

  // Applies the next changelog record of the current timeline. A non-empty *violation
  // says the record breaks an invariant the model can see by itself (a seq gap, a
  // table created twice, an id generator going backwards).
  RecordSummary Apply(const ChangelogRecord& record, std::string* violation);

  // A restore made a new timeline: the restored meta store is at `base.seq`, holds
  // `base.state` (the state of timeline `base.parent` at that seq), and its id
  // generators are `ids`.
  void StartTimeline(HistoryEntry base, std::map<std::string, uint64_t> ids);
  // True when the state at `seq` of `timeline` is one the current timeline went through
  // (its own, or an ancestor's up to where the path branched off).
  bool OnLineage(int timeline, uint64_t seq) const;

  // Largest value each id generator ever reached, on any timeline.
  const std::map<std::string, uint64_t>& max_issued() const { return max_issued_; }

 private:
  std::vector<History> timelines_;
  std::vector<std::pair<uint64_t, std::vector<WriteBatch::Entry>>> pending_;  // epoch, batch
  std::map<std::string, uint64_t> ids_;  // the current meta store's id generators
  std::map<std::string, uint64_t> max_issued_;
};

}  // namespace cairn::sim
