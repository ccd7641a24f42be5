// The oracle: the invariants checked against the model after every step (live reads,
// object events), every few steps (a fresh reader, a random listed backup, a random
// instant of the PITR range, the archive) and at the end (everything listed, every
// referenced object's bytes).
#include <xxhash.h>

#include <algorithm>

#include "backup/backup_service.h"
#include "backup/pitr_segment.h"
#include "backup/restore.h"
#include "common/epoch.h"
#include "meta/keys.h"
#include "sim/dump.h"
#include "sim/oracle_view.h"
#include "sim/simulation.h"
#include "storage/storage_codec.h"

namespace cairn::sim {
namespace {

// "seq 8 @epoch (wall ms), ..." for the records a replay from `from` reads.
std::string DescribeRecords(const History& h, uint64_t from, uint64_t to) {
  std::string out;
  for (const HistoryEntry& e : h.entries()) {
    if (e.seq <= from || e.seq > to) continue;
    out += " seq " + std::to_string(e.seq) + " @" + std::to_string(e.epoch) + " (" +
           std::to_string(e.wall_ms) + " ms)";
  }
  return out;
}

bool IsGap(const Status& s) {
  return s.IsNotFound() && s.message().find("gap") != std::string::npos;
}

}  // namespace

void Simulation::CheckLive() {
  if (!server_) return;
  server_->link()->set_faults(false);
  auto dump = DumpCluster(server_->cluster(), server_->writer());
  server_->link()->set_faults(true);
  if (!dump.ok()) {
    Violation("a healthy cluster answers every read", "dump: " + dump.status().ToString());
    return;
  }
  if (SameState(*dump, model_.durable())) return;
  if (engine_may_lag_) {
    // A lost acknowledgement whose reload failed leaves the engine's memory behind its
    // meta store until its next reload; what it shows is then older than what is
    // durable, never wrong. A fresh reader must see everything.
    coverage_.Add("check.live_view_lagging");
    CheckFresh("live view lagging");
    return;
  }
  Violation("every acknowledged write is readable until overwritten",
            "the live cluster differs from the model:\n" + DiffStates(model_.durable(), *dump));
}

void Simulation::CheckFresh(const std::string& when) {
  auto dump = DumpFresh(stores_->meta()->clean.get(), stores_->data_base(), &clock_);
  if (!dump.ok()) {
    Violation("a restart can read everything committed", when + ": " + dump.status().ToString());
    return;
  }
  if (!SameState(*dump, model_.durable())) {
    Violation("every acknowledged write survives a restart",
              when + ": a fresh reader of the stores differs from the model:\n" +
                  DiffStates(model_.durable(), *dump));
  }
}

bool Simulation::CheckBackup(const ListedBackup& backup, const std::string& when) {
  std::string name;
  auto scratch = stores_->OpenScratch(&name);
  OracleObjectView view(stores_->data_base());
  RestoreOptions options;
  options.snapshot_id = backup.id;
  options.force = true;  // the live server's lease is its own business
  options.clock = &clock_;
  options.parallel_check = false;  // one thread: replays by seed
  bool good = false;
  OracleObjectView backup_view(stores_->backup_base());
  BackupStorage storage_view(&backup_view);
  auto plan = RestoreSnapshot(&storage_view, &view, scratch.get(), options);
  std::string what = when + ": backup " + std::to_string(backup.id) + " (cut at seq " +
                     std::to_string(backup.changelog_seq) + ", timeline " +
                     std::to_string(backup.timeline) + ")";
  if (!plan.ok()) {
    Violation("every listed backup restores", what + ": " + plan.status().ToString());
  } else {
    auto dump = DumpFresh(scratch.get(), &view, &clock_);
    if (!dump.ok()) {
      Violation("a restored backup is readable", what + ": " + dump.status().ToString());
    } else if (!SameState(*dump, *backup.state)) {
      Violation("a backup restores exactly to the model state at its cut",
                what + ":\n" + DiffStates(*backup.state, *dump));
    } else {
      MetaWriter unused(scratch.get(), &clock_);
      BackupService service(&unused, &view, stores_->backup_base(), &clock_);
      auto verified = service.Verify(backup.id, /*deep=*/rng_.Percent(25));
      if (!verified.ok()) {
        Violation("every listed backup verifies", what + ": " + verified.status().ToString());
      } else {
        good = CheckSelfContained(backup, what);
        coverage_.Add("check.backup_restored");
        CheckBackupRead(backup, when);
      }
    }
  }
  scratch.reset();
  SimStores::Release(name);
  return good;
}

// A self-contained backup restores exactly into an empty object store too (its copies
// are all it needs), and a rerun copies nothing.
bool Simulation::CheckSelfContained(const ListedBackup& backup, const std::string& what) {
  if (!backup.self_contained) return true;
  static int counter = 0;
  auto empty = OpenObjectStore("mem://sim-empty-" + std::to_string(++counter));
  if (!empty.ok()) return true;
  bool good = false;
  for (int run = 0; run < 2; ++run) {
    std::string name;
    auto scratch = stores_->OpenScratch(&name);
    OracleObjectView backup_view(stores_->backup_base());  // drops the timeline record
    BackupStorage storage(&backup_view);
    RestoreOptions options;
    options.snapshot_id = backup.id;
    options.clock = &clock_;
    options.copy_threads = 1;
    options.parallel_check = false;  // one thread: replays by seed
    auto plan = RestoreSnapshot(&storage, empty->get(), scratch.get(), options);
    if (!plan.ok()) {
      Violation("a self-contained backup restores into an empty object store",
                what + ": " + plan.status().ToString());
    } else if (run == 1 && plan->copied_ssts != 0) {
      Violation("a rerun restore copies nothing again",
                what + ": copied " + std::to_string(plan->copied_ssts) + " SSTs again");
    } else {
      auto dump = DumpFresh(scratch.get(), empty->get(), &clock_);
      if (!dump.ok() || !SameState(*dump, *backup.state)) {
        Violation("a self-contained backup restores exactly into an empty object store",
                  what + ": " +
                      (dump.ok() ? DiffStates(*backup.state, *dump) : dump.status().ToString()));
      } else {
        good = run == 1;
        coverage_.Add("check.self_contained_restored");
      }
    }
    scratch.reset();
    SimStores::Release(name);
    if (!plan.ok()) break;
  }
  return good;
}

PointInTimeOptions Simulation::PitrTarget(bool* have, bool* strict, uint64_t* target) {
  PointInTimeOptions options;
  options.clock = &clock_;
  options.checkpoint_interval_ms = checkpoint_interval_ms_;
  options.read_ahead = false;  // one thread: the faults replay by seed
  *have = false;
  *strict = false;
  options.timeline = 1;  // TODO(timelines): later timelines too
  BackupStorage storage(stores_->backup_base());
  int64_t retention = server_ ? server_->cluster_options().pitr_retention_ms : 0;
  auto ranges = ComputeTimelineRanges(&storage, checkpoint_interval_ms_, &clock_, -1);
  if (!ranges.ok()) return options;
  const RecoverableRange* range = nullptr;
  for (const auto& t : *ranges) {
    if (t.timeline == 1) range = &t.range;
  }
  if (!range || range->empty) return options;
  uint64_t lo = range->from_epoch;
  uint64_t hi = std::min(range->to_epoch, MaxEpochAtMillis(clock_.NowMillis()));
  // Timeline 1 stays checked after restores (--timeline 1): every timeline's vacuum keeps
  // what PITR inside the window on another needs (TODO(timelines): the later ones too).
  if (lo > hi) return options;
  uint64_t t = 0;
  const auto& entries = model_.first().entries();
  if (rng_.Percent(40) && entries.size() > 1) {
    // Exactly at (or just before) a record's epoch: the edges of replay.
    uint64_t e = entries[1 + rng_.Uniform(entries.size() - 1)].epoch;
    t = rng_.Percent(50) ? e : e - 1;
  } else {
    int64_t lo_ms = EpochToMillis(lo), hi_ms = EpochToMillis(hi);
    int64_t ms = lo_ms + static_cast<int64_t>(rng_.Uniform(hi_ms - lo_ms + 1));
    t = MaxEpochAtMillis(ms);
  }
  t = std::clamp(t, lo, hi);
  *have = true;
  *target = t;
  options.to_epoch = t;
  int64_t window_start = std::max(window_floor_ms_, clock_.NowMillis() - retention);
  *strict = first_restore_ms_ == 0 && retention > 0 && t >= EpochFromMillis(window_start + 1);
  return options;
}

const HistoryEntry& Simulation::ExpectedAtPoint(uint64_t target, uint64_t snapshot_seq,
                                                uint64_t archived_seq) {
  const History& h = model_.first();
  uint64_t end = h.AtEpoch(target).seq;
  return h.AtSeq(std::min(end, std::max(archived_seq, snapshot_seq)));
}

void Simulation::CheckPitr(const std::string& when) {
  bool have = false, strict = false;
  uint64_t target = 0;
  PointInTimeOptions options = PitrTarget(&have, &strict, &target);
  if (!have) return;
  options.force = true;
  std::string name;
  auto scratch = stores_->OpenScratch(&name);
  OracleObjectView view(stores_->data_base());
  OracleObjectView backup_view(stores_->backup_base());
  BackupStorage storage(&backup_view);
  uint64_t archived = ArchivedSeq();
  auto plan = RestoreToPoint(&storage, &view, scratch.get(), options);
  std::string what = when + ": restore to epoch " + std::to_string(target) + " (" +
                     (strict ? "inside" : "outside") + " the retention window)";
  if (!plan.ok()) {
    if (strict && !IsGap(plan.status())) {
      Violation("PITR to any instant inside the retention window succeeds",
                what + ": " + plan.status().ToString());
    } else {
      coverage_.Add("check.pitr_refused");
    }
  } else {
    const HistoryEntry& expected = ExpectedAtPoint(target, plan->snapshot.changelog_seq, archived);
    if (plan->last_seq != expected.seq) {
      Violation("a point-in-time restore replays exactly up to its target",
                what + " from snapshot " + std::to_string(plan->snapshot.id) + " (seq " +
                    std::to_string(plan->snapshot.changelog_seq) + ") ended at seq " +
                    std::to_string(plan->last_seq) + ", expected seq " +
                    std::to_string(expected.seq) + " (archived through " +
                    std::to_string(archived) + "); records:" +
                    DescribeRecords(model_.first(), plan->snapshot.changelog_seq,
                                    std::max(expected.seq, plan->last_seq) + 1));
    } else {
      auto dump = DumpFresh(scratch.get(), &view, &clock_);
      if (!dump.ok()) {
        Violation("a restored point in time is readable", what + ": " + dump.status().ToString());
      } else if (!SameState(*dump, *expected.state)) {
        Violation("PITR restores exactly the model state at the target",
                  what + " (seq " + std::to_string(expected.seq) + "):\n" +
                      DiffStates(*expected.state, *dump));
      } else {
        coverage_.Add(strict ? "check.pitr_restored_in_window" : "check.pitr_restored");
      }
    }
  }
  scratch.reset();
  SimStores::Release(name);
}

SstSet Simulation::ReferencedObjects() {
  SstSet out = *model_.current().last().ssts;
  for (const auto& [id, b] : listed_) out.insert(b.ssts->begin(), b.ssts->end());
  int64_t retention = server_ ? server_->cluster_options().pitr_retention_ms : 0;
  if (first_restore_ms_ == 0 && retention > 0) {
    // Every state a restore to an instant of the window yields: the prefix ends
    // (docs/pitr.md) of all targets from the window start on.
    int64_t window_start = std::max(window_floor_ms_, clock_.NowMillis() - retention);
    uint64_t from = EpochFromMillis(window_start + 1);
    const auto& entries = model_.first().entries();
    uint64_t prefix_max = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) prefix_max = std::max(prefix_max, entries[i].epoch);
      bool last = i + 1 == entries.size();
      bool reachable = last || std::max(prefix_max, entries[i + 1].epoch) > prefix_max;
      uint64_t next_max = last ? UINT64_MAX : std::max(prefix_max, entries[i + 1].epoch);
      // Entry i is the answer for targets in [prefix_max, next_max).
      if (reachable && next_max > from)
        out.insert(entries[i].ssts->begin(), entries[i].ssts->end());
    }
  }
  return out;
}

void Simulation::CheckObjectEvents(const SstSet& version_before) {
  std::vector<ObjectEvent> events = std::move(pending_events_);
  pending_events_.clear();
  for (auto& e : stores_->data_base()->TakeEvents()) events.push_back(e);
  if (events.empty()) return;
  SstSet referenced;
  bool computed = false;
  for (const ObjectEvent& e : events) {
    std::string key = "data/" + keys::Hex16(e.id) + ".sst";
    if (e.kind == ObjectEvent::Kind::kOverwritten) {
      Violation("SST objects are never overwritten", key + " was replaced");
      return;
    }
    if (e.kind == ObjectEvent::Kind::kRecreated) {
      Violation("no object id is issued twice",
                key + " was created again; the first one was created at step " +
                    std::to_string(e.earlier_created) + " and deleted at step " +
                    std::to_string(e.earlier_deleted));
      return;
    }
    if (e.kind != ObjectEvent::Kind::kDeleted) continue;
    if (!computed) {
      referenced = ReferencedObjects();
      referenced.insert(version_before.begin(), version_before.end());
      computed = true;
    }
    if (!referenced.count(e.id)) continue;
    std::string who;
    if (model_.current().last().ssts->count(e.id) || version_before.count(e.id)) {
      who = "the current version";
    }
    for (const auto& [id, b] : listed_) {
      if (b.ssts->count(e.id)) who += (who.empty() ? "" : ", ") + ("backup " + std::to_string(id));
    }
    if (who.empty()) who = "a state inside the PITR retention window";
    auto records = stores_->data_base()->ssts();
    Violation(
        "no object a version, a listed backup or the PITR window references is deleted",
        key + " (written at step " + std::to_string(records[e.id].created_step) +
            ") was deleted; it is referenced by " + who +
            (engine_may_lag_ ? " (the engine's memory lags its meta store after a lost ack)" : ""));
    return;
  }
}

void Simulation::CheckObjectsIntact() {
  SstSet referenced = ReferencedObjects();
  auto records = stores_->data_base()->ssts();
  for (uint64_t id : referenced) {
    std::string key = "data/" + keys::Hex16(id) + ".sst";
    auto bytes = stores_->data_base()->Get(key);
    auto it = records.find(id);
    if (!bytes.ok() || it == records.end()) {
      Violation("every referenced object exists", key + ": " + bytes.status().ToString());
      return;
    }
    if (XXH64(bytes->data(), bytes->size(), 0) != it->second.checksum) {
      Violation("SST objects are never overwritten", key + " no longer holds its first bytes");
      return;
    }
  }
}

void Simulation::CheckArchive() {
  auto segments = ListSegments(stores_->backup_base());
  if (!segments.ok()) {
    Violation("the archive is listable", segments.status().ToString());
    return;
  }
  for (const SegmentInfo& segment : *segments) {
    if (segment.timeline != 1 || verified_segments_.count(segment.key)) continue;
    auto records = ReadSegment(stores_->backup_base(), segment);
    if (!records.ok()) {
      Violation("every archived segment reads", segment.key + ": " + records.status().ToString());
      return;
    }
    for (const ChangelogRecord& r : *records) {
      auto it = first_records_.find(r.seq);
      if (it == first_records_.end() || it->second != EncodeChangelogRecord(r)) {
        Violation("the archive holds exactly the committed changelog",
                  segment.key + ": record " + std::to_string(r.seq) +
                      (it == first_records_.end() ? " was never committed on timeline 1"
                                                  : " differs from the committed one"));
        return;
      }
    }
    verified_segments_.insert(segment.key);
  }
  coverage_.Add("check.archive_verified");
}

}  // namespace cairn::sim
