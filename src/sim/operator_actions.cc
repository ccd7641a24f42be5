// Operator actions: crashes and restarts, a lost meta store, restores of a backup or a
// point in time into a fresh meta store, a deleted manifest, an --overwrite restore
// that dies midway, and a server paused past its lease (resumed, taken over, or fenced
// by a restore while it sleeps). Each one ends with a server running again.
#include <algorithm>
#include <set>

#include "backup/pitr_segment.h"
#include "backup/restore.h"
#include "common/epoch.h"
#include "meta/keys.h"
#include "sim/dump.h"
#include "sim/simulation.h"

namespace cairn::sim {
namespace {

uint64_t ReadHead(MetaStore* meta) {
  auto head = meta->Get(keys::kChangelogSeq);
  if (!head.ok() || !*head) return 0;
  return ParseDecimalValue((*head)->value);
}

std::map<std::string, uint64_t> ReadIds(MetaStore* meta) {
  std::map<std::string, uint64_t> ids;
  auto page = meta->Range(std::string(keys::kIdPrefix), PrefixEnd(keys::kIdPrefix), 100);
  if (!page.ok()) return ids;
  for (const auto& kv : *page)
    ids[kv.key.substr(keys::kIdPrefix.size())] = ParseDecimalValue(kv.value);
  return ids;
}

size_t CountSegments(ObjectStore* backups) {
  auto segments = ListSegments(backups);
  return segments.ok() ? segments->size() : 0;
}

}  // namespace

void Simulation::OpCrashRestart() {
  Note("crash server pid " + std::to_string(server_->pid()));
  CrashServer();
  coverage_.Add("op.crash_restart");
  (void)StartServer(/*must_succeed=*/true, "restart after a crash");
}

void Simulation::OpCleanRestart() {
  StopServer();
  coverage_.Add("op.clean_restart");
  (void)StartServer(/*must_succeed=*/true, "restart after a clean stop");
}

bool Simulation::StopForRestore() {
  if (rng_.Percent(70)) {
    StopServer();
  } else {
    Note("crash server pid " + std::to_string(server_->pid()) + " before the restore");
    CrashServer();
  }
  return true;
}

Status Simulation::OperatorRestore(const ListedBackup* backup, const PointInTimeOptions* pitr,
                                   MetaStore* faulty, MetaStore* clean, bool overwrite,
                                   int fault_attempts, bool clean_retry, HistoryEntry* restored) {
  uint64_t archived = ArchivedSeq();
  Status last;
  int attempts = fault_attempts + (clean_retry ? 1 : 0);
  bool forced = false;
  for (int attempt = 0; attempt < attempts && !failed(); ++attempt) {
    bool faults = attempt < fault_attempts;
    auto state = std::make_shared<LinkState>();
    state->set_faults(faults);
    ProcessMetaLink meta(faulty, clean, state);
    ProcessObjectLink data(stores_->data_faulty(), stores_->data_base(), state);
    ProcessObjectLink backup_link(stores_->backup_faulty(), stores_->backup_base(), state);
    BackupStorage storage(&backup_link);
    std::string what;
    uint64_t snapshot_seq = 0, last_seq = 0;
    if (backup) {
      RestoreOptions options;
      options.snapshot_id = backup->id;
      options.overwrite = overwrite;
      options.force = forced;
      options.clock = &clock_;
      options.parallel_check = false;  // one thread: replays by seed
      auto plan = RestoreSnapshot(&storage, &data, &meta, options);
      last = plan.status();
      what = "restore backup " + std::to_string(backup->id);
    } else {
      PointInTimeOptions options = *pitr;
      options.overwrite = overwrite;
      options.force = forced;
      options.read_ahead = false;  // one thread: the faults replay by seed
      auto plan = RestoreToPoint(&storage, &data, &meta, options);
      last = plan.status();
      if (plan.ok()) {
        snapshot_seq = plan->snapshot.changelog_seq;
        last_seq = plan->last_seq;
      }
      what = options.to_latest ? std::string("restore to latest")
                               : "restore to epoch " + std::to_string(options.to_epoch);
    }
    Note(what + (overwrite ? " --overwrite" : "") + (forced ? " --force" : "") +
         (faults ? "" : " (faults off)") + ": " + Outcome(last));
    if (last.code() == ErrorCode::kBusy && !forced) {
      // A crashed server's lease is still live: the operator waits it out or forces.
      coverage_.Add("check.restore_refused_live_lease");
      if (rng_.Percent(50)) {
        forced = true;
      } else {
        Advance(kLeaseTtlMs + 1000);
      }
      ++attempts;
      continue;
    }
    if (last.code() == ErrorCode::kAlreadyExists && !overwrite && attempt > 0) {
      Violation("rerunning a failed restore completes it",
                what + ": the rerun was refused: " + last.ToString());
      return last;
    }
    if (!last.ok()) continue;
    if (backup) {
      restored->seq = backup->changelog_seq;
      restored->state = backup->state;
      restored->ssts = backup->ssts;
      restored->parent = backup->timeline;
    } else {
      uint64_t target = pitr->to_latest ? UINT64_MAX : pitr->to_epoch;
      const HistoryEntry& expected = pitr->to_latest
                                         ? model_.first().AtSeq(std::max(archived, snapshot_seq))
                                         : ExpectedAtPoint(target, snapshot_seq, archived);
      if (last_seq != expected.seq) {
        Violation("a point-in-time restore replays exactly up to its target",
                  what + " from snapshot at seq " + std::to_string(snapshot_seq) +
                      " ended at seq " + std::to_string(last_seq) + ", expected seq " +
                      std::to_string(expected.seq) + " (archived through " +
                      std::to_string(archived) + ")");
        return last;
      }
      restored->seq = expected.seq;
      restored->state = expected.state;
      restored->ssts = expected.ssts;
      restored->parent = 1;  // PITR follows timeline 1 only (TODO(timelines))
    }
    restored->epoch = 0;
    return last;
  }
  return last;
}

void Simulation::AdoptRestore(MetaGeneration* generation, const HistoryEntry& restored,
                              const std::string& what,
                              const std::map<std::string, uint64_t>* floor_ids) {
  stores_->Use(generation);
  meta_unadopted_ = false;
  MetaStore* meta = generation->clean.get();
  auto ids = ReadIds(meta);
  uint64_t max_live = 0;
  for (const auto& [id, record] : stores_->data_base()->ssts()) {
    if (record.live) max_live = std::max(max_live, id);
  }
  if (ids["object"] <= max_live) {
    Violation("a restore sets id generators above every issued id",
              what + ": ids/object is " + std::to_string(ids["object"]) + " but data/" +
                  keys::Hex16(max_live) + ".sst exists");
    return;
  }
  for (const auto& [id, b] : listed_) {
    if (ids["backup"] <= id) {
      Violation("a restore sets id generators above every issued id",
                what + ": ids/backup is " + std::to_string(ids["backup"]) + " but backup " +
                    std::to_string(id) + " is listed");
      return;
    }
  }
  for (const auto& [name, floor] : floor_ids ? *floor_ids : std::map<std::string, uint64_t>{}) {
    if (ids[name] >= floor) continue;
    Violation("a restore sets id generators above every issued id",
              what + ": ids/" + name + " went from " + std::to_string(floor) + " to " +
                  std::to_string(ids[name]) + " in the overwritten meta store");
    return;
  }
  if (first_restore_ms_ == 0) first_restore_ms_ = clock_.NowMillis();
  last_restore_step_ = step_;
  model_.StartTimeline(restored, ids);
  Note(what + ": timeline " + std::to_string(model_.timeline()) + " starts at seq " +
       std::to_string(restored.seq) + " with " + DescribeState(*restored.state));
  Observe(0, what);  // the restored head must be the restored seq
  (void)StartServer(/*must_succeed=*/true, "start on the restored meta store (" + what + ")");
}

void Simulation::OpLoseMetaStore() {
  if (!PickRestorable()) return ActBackupCreate();  // nothing to recover from yet
  Note("lose the meta store " + stores_->meta()->url);
  CrashServer();
  MetaGeneration* fresh = stores_->NewMeta();
  stores_->Use(fresh);
  meta_unadopted_ = true;
  // A supervisor restarts the server: the guard must refuse the empty meta store.
  Status refused = StartServer(/*must_succeed=*/false, "start on an empty meta store");
  if (failed()) return;
  if (refused.ok() || refused.code() != ErrorCode::kFailedPrecondition) {
    Violation("a server refuses an empty meta store over a cluster's data",
              "start on the empty meta store: " + refused.ToString());
    return;
  }
  auto first = fresh->clean->Range("", "", 1);
  if (!first.ok() || !first->empty()) {
    Violation("a refused start writes nothing",
              "the empty meta store holds " +
                  (first.ok() ? first->front().key : first.status().ToString()));
    return;
  }
  coverage_.Add("op.lose_meta_store");
  if (model_.timeline() == 1 && rng_.Percent(60)) {
    PointInTimeOptions latest;
    latest.to_latest = true;
    latest.clock = &clock_;
    HistoryEntry restored;
    Status s = OperatorRestore(nullptr, &latest, fresh->faulty.get(), fresh->clean.get(), false, 2,
                               true, &restored);
    if (failed()) return;
    if (s.ok()) {
      AdoptRestore(fresh, restored, "restore to latest after losing the meta store");
      return;
    }
  }
  const ListedBackup* b = PickRestorable();
  if (!b) b = ListedOn(0).front();
  RestoreListed(*b, fresh,
                "restore backup " + std::to_string(b->id) + " after losing the meta store");
}

void Simulation::OpRestoreBackup() {
  const ListedBackup* pick = PickRestorable();
  if (!pick) return ActBackupCreate();
  const ListedBackup b = *pick;
  StopForRestore();
  if (RestoreListed(b, stores_->NewMeta(), "restore backup " + std::to_string(b.id))) {
    coverage_.Add("op.restore_backup");
  }
}

bool Simulation::RestoreListed(const ListedBackup& b, MetaGeneration* generation,
                               const std::string& what) {
  HistoryEntry restored;
  Status s = OperatorRestore(&b, nullptr, generation->faulty.get(), generation->clean.get(), false,
                             2, true, &restored);
  if (failed()) return false;
  if (!s.ok()) {
    Violation("every listed backup restores", what + ": " + s.ToString());
    return false;
  }
  AdoptRestore(generation, restored, what);
  return !failed();
}

void Simulation::OpRestorePitr() {
  bool have = false, strict = false;
  uint64_t target = 0;
  PointInTimeOptions options = PitrTarget(&have, &strict, &target);
  if (!have) return ActBackupCreate();
  StopForRestore();
  MetaGeneration* fresh = stores_->NewMeta();
  HistoryEntry restored;
  Status s = OperatorRestore(nullptr, &options, fresh->faulty.get(), fresh->clean.get(), false, 2,
                             true, &restored);
  if (failed()) return;
  if (!s.ok()) {
    bool gap = s.IsNotFound() && s.message().find("gap") != std::string::npos;
    if (strict && !gap) {
      Violation("PITR to any instant inside the retention window succeeds",
                "restore to epoch " + std::to_string(target) + ": " + s.ToString());
      return;
    }
    coverage_.Add("check.pitr_refused");
    (void)StartServer(/*must_succeed=*/true, "restart after a refused restore");
    return;
  }
  coverage_.Add("op.restore_pitr");
  AdoptRestore(fresh, restored, "restore to epoch " + std::to_string(target));
}

void Simulation::OpDeleteManifest() {
  ObjectStore* backups = stores_->backup_base();
  const std::string key(BackupStorage::kManifestKey);
  auto saved = backups->Get(key);
  Status deleted = backups->Delete(key);
  Note("operator deletes manifest.json (" + std::to_string(listed_.size()) +
       " backups listed): " + Outcome(deleted));
  coverage_.Add("op.delete_manifest");
  MetaStore* meta = stores_->meta()->clean.get();
  auto pins_before =
      meta->Range(std::string(keys::kBackupPinPrefix), PrefixEnd(keys::kBackupPinPrefix), 10000);
  bool snapshot_files = false;
  (void)ListAll(*backups, "snapshots/", [&](const ObjectMeta&) {
    snapshot_files = true;
    return Status::OK();
  });
  // The next backup must not build a new manifest that drops the lost one's backups, nor
  // purge their pins (backup_service.cc: it refuses while snapshot files exist).
  uint64_t before = model_.last_seq();
  auto created = server_->backups()->Create("after the manifest was lost");
  Note("backup create without manifest.json: " +
       (created.ok() ? "id " + std::to_string(created->id) : Outcome(created.status())));
  Observe(kAllocBackup | kPin, "backup create without manifest.json");
  auto pins_after =
      meta->Range(std::string(keys::kBackupPinPrefix), PrefixEnd(keys::kBackupPinPrefix), 10000);
  if (snapshot_files && created.ok()) {
    Violation("a lost manifest is never replaced by one that drops its backups",
              "backup " + std::to_string(created->id) + " was created without manifest.json");
    return;
  }
  // Every pin survives. A failed create may leave its own pin behind (its cleanup failed
  // too): that only keeps SSTs longer, and purge removes it once the manifest is back.
  std::set<std::string> after;
  if (pins_after.ok()) {
    for (const auto& kv : *pins_after) after.insert(kv.key);
  }
  bool kept = pins_before.ok() && pins_after.ok();
  for (size_t i = 0; kept && i < pins_before->size(); ++i) {
    kept = after.count((*pins_before)[i].key) > 0;
  }
  if (snapshot_files && !kept) {
    Violation("the pins of a lost manifest's backups survive the next backup",
              "backup create removed a pin");
    return;
  }
  if (created.ok()) {  // nothing was lost (no snapshot files): the new manifest is right
    ReconcileBackups(before, "manifest given up");
    return;
  }
  if (saved.ok() && rng_.Percent(70)) {
    // The operator puts manifest.json back: every backup is listed again.
    (void)backups->Put(key, *saved);
    Note("operator restores manifest.json");
    ReconcileBackups(before, "manifest restored");
    return;
  }
  // The operator gives the backups up: removes their files, so backups work again.
  auto manifest = ReadManifest();
  std::vector<std::string> files;
  (void)ListAll(*backups, "snapshots/", [&](const ObjectMeta& m) {
    bool listed = false;
    if (manifest.ok()) {
      for (const auto& e : manifest->snapshots) listed |= e.file == m.key;
    }
    if (!listed) files.push_back(m.key);
    return Status::OK();
  });
  for (const auto& f : files) (void)backups->Delete(f);
  Note("operator gives up " + std::to_string(listed_.size()) + " backups and deletes " +
       std::to_string(files.size()) + " snapshot files");
  listed_.clear();  // unlisted: no longer restorable, no longer owed anything
  ReconcileBackups(before, "manifest given up");
}

namespace {

HistoryEntry restored_if_complete(const ListedBackup& b) {
  HistoryEntry e;
  e.seq = b.changelog_seq;
  e.state = b.state;
  e.ssts = b.ssts;
  e.parent = b.timeline;
  return e;
}

}  // namespace

void Simulation::OpOverwriteRestoreCrashed() {
  const ListedBackup* pick = PickRestorable();
  if (!pick) return ActBackupCreate();
  const ListedBackup b = *pick;
  StopServer();
  MetaGeneration* generation = stores_->meta();
  const std::map<std::string, uint64_t> floor = ReadIds(generation->clean.get());
  FaultOptions options;
  options.seed = rng_.Next();
  FaultMetaStore crashing(stores_->OpenHandle(*generation), options);
  int64_t commits = static_cast<int64_t>(rng_.Uniform(5));
  bool after = rng_.Percent(50);
  crashing.CrashAfter(commits, after ? FaultKind::kAfterApply : FaultKind::kBeforeApply);
  Note("restore --overwrite of backup " + std::to_string(b.id) + " into " + generation->url +
       ", target dies after " + std::to_string(commits) + " commits" + (after ? " (applied)" : ""));
  HistoryEntry restored;
  Status s =
      OperatorRestore(&b, nullptr, &crashing, generation->clean.get(), true, 1, false, &restored);
  if (failed()) return;
  if (s.ok()) {  // the target lasted long enough
    AdoptRestore(generation, restored, "restore --overwrite of backup " + std::to_string(b.id),
                 &floor);
    return;
  }
  // The target is intact (the clear failed), complete (the last commit applied, its ack
  // lost), or empty or marked unfinished, which a server must refuse.
  MetaStore* clean = generation->clean.get();
  auto marker = clean->Get(keys::kRestoreMarker);
  auto any = clean->Range("", "", 1);
  uint64_t head = ReadHead(clean);
  bool half = !marker.ok() || marker->has_value() || !any.ok() || any->empty();
  bool intact = false, complete = false;
  if (!half) {
    auto dump = DumpFresh(clean, stores_->data_base(), &clock_);
    intact = dump.ok() && head == model_.last_seq() && SameState(*dump, model_.durable());
    complete = dump.ok() && head == b.changelog_seq && SameState(*dump, *b.state);
  }
  if (complete && !intact) {
    coverage_.Add("check.failed_restore_completed");
    AdoptRestore(generation, restored_if_complete(b),
                 "restore --overwrite of backup " + std::to_string(b.id) + " (ack lost)", &floor);
    return;
  }
  if (!half && !intact) {
    Violation("a failed restore leaves the target intact, empty or marked unfinished",
              generation->url + " holds changelog head " + std::to_string(head));
    return;
  }
  if (half) meta_unadopted_ = true;
  int64_t revision = 0;
  if (auto snap = clean->Snapshot(); snap.ok()) revision = (*snap)->revision();
  Status started = StartServer(/*must_succeed=*/false, "start after a failed restore");
  if (failed()) return;
  if (started.ok() && !half) {
    coverage_.Add("check.failed_restore_left_target_intact");
    StopServer();
  } else if (!started.ok() && half && started.code() == ErrorCode::kFailedPrecondition) {
    coverage_.Add("check.guard_refused_failed_restore");
    auto snap = clean->Snapshot();
    if (!snap.ok() || (*snap)->revision() != revision) {
      Violation("a refused start writes nothing",
                "the half-restored " + generation->url + " changed");
      return;
    }
  } else {
    Violation(
        "a half-restored meta store is refused, never served",
        std::string(half ? "half-restored" : "intact") + " target; start: " + started.ToString());
    return;
  }
  s = OperatorRestore(&b, nullptr, generation->faulty.get(), generation->clean.get(), true, 1, true,
                      &restored);
  if (failed()) return;
  if (!s.ok()) {
    Violation("rerunning a failed restore completes it",
              "restore --overwrite of backup " + std::to_string(b.id) + ": " + s.ToString());
    return;
  }
  coverage_.Add("op.overwrite_restore_crashed");
  AdoptRestore(generation, restored,
               "rerun of restore --overwrite of backup " + std::to_string(b.id), &floor);
}

void Simulation::ZombieMustBeFenced(SimServer* zombie, MetaGeneration* zombie_meta) {
  for (const auto& e : stores_->data_base()->TakeEvents()) pending_events_.push_back(e);
  uint64_t head = ReadHead(zombie_meta->clean.get());
  size_t segments = CountSegments(stores_->backup_base());
  zombie->link()->set_faults(false);
  Status set = zombie->params()->Set("vacuum_min_age", "0");
  Status flushed = zombie->cluster()->Flush().status();
  Status vacuumed = zombie->cluster()->Vacuum({/*full=*/true, /*dry_run=*/false}).status();
  Status archived = zombie->archiver()->RunOnce();
  Note("fenced server pid " + std::to_string(zombie->pid()) + ": param set " + Outcome(set) +
       "; flush " + Outcome(flushed) + "; vacuum " + Outcome(vacuumed) + "; archive " +
       Outcome(archived));
  if (set.ok()) {
    Violation("a server that lost its lease commits nothing", "its param set succeeded");
    return;
  }
  if (ReadHead(zombie_meta->clean.get()) != head) {
    Violation("a server that lost its lease commits nothing",
              "the changelog of " + zombie_meta->url + " moved from seq " + std::to_string(head));
    return;
  }
  for (const auto& e : stores_->data_base()->TakeEvents()) {
    if (e.kind != ObjectEvent::Kind::kCreated) {
      Violation("a server that lost its lease deletes nothing",
                "it deleted or replaced data/" + keys::Hex16(e.id) + ".sst");
      return;
    }
    Violation("a server that lost its lease writes no objects",
              "it wrote data/" + keys::Hex16(e.id) + ".sst");
    return;
  }
  if (CountSegments(stores_->backup_base()) != segments) {
    Violation("a server that lost its lease archives nothing", "a segment appeared");
  }
}

void Simulation::OpPause() {
  uint64_t variant = rng_.Uniform(3);
  const ListedBackup* pick = variant == 2 ? PickRestorable() : nullptr;
  if (variant == 2 && !pick) variant = 1;
  int64_t pause = kLeaseTtlMs + 1000 + static_cast<int64_t>(rng_.Uniform(20000));
  clock_.Advance(pause);  // the whole process sleeps: its renewer too
  Note("server pid " + std::to_string(server_->pid()) + " paused " + std::to_string(pause) + "ms");
  Status check = server_->lease()->Check();
  if (check.ok()) {
    Violation("a server paused past its lease stops writing", "WriterLease::Check() passes");
    return;
  }
  MetaGeneration* meta = server_->meta();
  if (variant == 0) {
    // It wakes up: before its renewer runs, every write is refused.
    ZombieMustBeFenced(server_.get(), meta);
    if (failed()) return;
    server_->link()->set_faults(false);
    Status renewed = server_->lease()->RenewOnce();
    server_->link()->set_faults(true);
    Note("lease renewal after the pause: " + Outcome(renewed));
    if (!renewed.ok() || !server_->lease()->Check().ok()) {
      Violation("a paused server whose lease nobody took resumes",
                "renewal: " + renewed.ToString());
      return;
    }
    Observe(0, "resumed server");
    coverage_.Add("op.pause_resume");
    return;
  }
  std::unique_ptr<SimServer> zombie = std::move(server_);
  model_.DropPending();  // the zombie's memtable can never be acknowledged
  if (variant == 1) {
    (void)StartServer(/*must_succeed=*/true, "takeover of an expired lease");
  } else {
    const ListedBackup b = *pick;
    RestoreListed(b, stores_->NewMeta(),
                  "restore backup " + std::to_string(b.id) + " under a zombie");
  }
  if (failed()) return;
  // The zombie wakes up: its renewal finds the lease gone, and it writes nothing.
  zombie->link()->set_faults(false);
  Status renewed = zombie->lease()->RenewOnce();
  Note("zombie pid " + std::to_string(zombie->pid()) + " renews: " + Outcome(renewed));
  if (renewed.ok() || !zombie->lease()->lost()) {
    Violation("a server whose lease was taken learns it at its next renewal",
              "renewal: " + renewed.ToString());
    return;
  }
  ZombieMustBeFenced(zombie.get(), meta);
  if (failed()) return;
  if (meta == stores_->meta()) Observe(0, "zombie");
  live_pids_.erase(zombie->pid());
  zombie->Kill();
  coverage_.Add(variant == 1 ? "op.pause_takeover" : "op.pause_restore_under_zombie");
}

}  // namespace cairn::sim
