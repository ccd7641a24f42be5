// The workload: client operations (writes, DDL, users, params, reads) and maintenance
// (checkpoints, compaction, vacuum, backups, archiving, time passing), each checked
// against the changelog for what it may and must commit.
#include <cstdio>

#include "meta/keys.h"
#include "sim/simulation.h"

namespace cairn::sim {
namespace {

constexpr uint64_t kKeySpace = 120;
const char* const kTableNames[] = {"t0", "t1", "t2", "t3", "t4", "t5"};
const char* const kUserNames[] = {"alice", "bob", "carol", "dave"};
const char* const kParamNames[] = {"checkpoint_interval", "pitr_retention", "vacuum_min_age"};

std::string Key(uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%03llu", static_cast<unsigned long long>(i));
  return buf;
}

bool Contains(const std::vector<RecordSummary>& records, uint32_t kind) {
  for (const auto& r : records) {
    if (r.kinds & kind) return true;
  }
  return false;
}

}  // namespace

std::string Simulation::PickLiveTable() {
  const auto& tables = model_.durable().tables;
  if (tables.empty()) return "";
  auto it = tables.begin();
  std::advance(it, rng_.Uniform(tables.size()));
  return it->first;
}

WriteBatch Simulation::DrawBatch(std::vector<WriteBatch::Entry>* entries) {
  WriteBatch batch;
  std::string first = PickLiveTable();
  std::string second = rng_.Percent(25) ? PickLiveTable() : first;
  int n = 1 + static_cast<int>(rng_.Uniform(12));
  for (int i = 0; i < n; ++i) {
    const std::string& name = rng_.Percent(50) ? first : second;
    uint32_t id = model_.durable().tables.at(name).id;
    std::string key = Key(rng_.Uniform(kKeySpace));
    if (rng_.Percent(20)) {
      batch.Delete(id, key);
    } else {
      batch.Put(id, key, "v" + std::to_string(step_) + "." + rng_.Bytes(rng_.Uniform(16)));
    }
  }
  *entries = batch.entries();
  return batch;
}

void Simulation::ActWrite() {
  if (model_.durable().tables.empty()) return ActCreateTable();
  std::vector<WriteBatch::Entry> entries;
  WriteBatch batch = DrawBatch(&entries);
  auto written = server_->cluster()->Write(batch, /*wait=*/false);
  // Write(wait=false) fails only before it touches the memtable (docs/storage.md).
  if (written.ok()) model_.AddPending(*written, std::move(entries));
  Note("write " + std::to_string(batch.size()) + " entries: " + Outcome(written.status()));
  Observe(0, "write");
}

void Simulation::ActWriteWait() {
  if (model_.durable().tables.empty()) return ActCreateTable();
  std::vector<WriteBatch::Entry> entries;
  WriteBatch batch = DrawBatch(&entries);
  // Only tables the engine knows: then the batch surely reaches the memtable, and an
  // error can only come from the checkpoint that follows.
  auto tables = server_->cluster()->ListTables();
  if (!tables.ok()) return ActWrite();
  for (const auto& e : entries) {
    bool known = false;
    for (const auto& t : *tables) known |= t.id == e.table_id;
    if (!known) return ActWrite();
  }
  // An empty batch returns the open memtable's epoch, which the batch then joins.
  auto epoch = server_->cluster()->Write(WriteBatch(), /*wait=*/false);
  if (!epoch.ok()) return ActWrite();
  model_.AddPending(*epoch, std::move(entries));
  auto written = server_->cluster()->Write(batch, /*wait=*/true);
  Note("write " + std::to_string(batch.size()) + " entries and wait: " + Outcome(written.status()));
  auto records = Observe(kAllocObject | kCheckpoint, "write-wait");
  if (written.ok() && *written != *epoch) {
    Violation("a write joins the open memtable",
              "Write returned epoch " + std::to_string(*written) + ", the memtable's is " +
                  std::to_string(*epoch));
  }
  if (written.ok() && model_.pending() > 0) {
    Violation("an acknowledged write is committed", "Write(wait=true) returned epoch " +
                                                        std::to_string(*written) +
                                                        " but no checkpoint committed its batch");
  }
  if (!written.ok() && Contains(records, kCheckpoint)) engine_may_lag_ = true;
}

void Simulation::ActFlush() {
  bool had_pending = model_.pending() > 0;
  auto flushed = server_->cluster()->Flush();
  Note("flush: " + Outcome(flushed.status()));
  auto records = Observe(kAllocObject | kCheckpoint, "flush");
  if (flushed.ok() && had_pending && model_.pending() > 0) {
    Violation("an acknowledged checkpoint is committed",
              "Flush() returned OK but no checkpoint committed the memtable");
  }
  if (!flushed.ok() && Contains(records, kCheckpoint)) engine_may_lag_ = true;
}

void Simulation::ActCreateTable() {
  std::vector<std::string> free;
  for (const char* name : kTableNames) {
    if (!model_.durable().tables.count(name)) free.push_back(name);
  }
  if (free.empty()) return ActDropTable();
  std::string name = free[rng_.Uniform(free.size())];
  auto created = server_->cluster()->CreateTable(name);
  Note("create table " + name + ": " + Outcome(created.status()));
  // A DDL first checkpoints the writes made before it (cluster.h).
  auto records = Observe(kAllocTable | kTableCreate | kAllocObject | kCheckpoint, "create table");
  if (created.ok() && model_.pending() > 0) {
    Violation("a DDL commits the writes made before it",
              "CreateTable(" + name + ") returned OK with writes still uncommitted");
  }
  bool committed = false;
  for (const auto& r : records) {
    for (const auto& [n, id] : r.tables_created) {
      committed |= n == name && (!created.ok() || id == created->id);
    }
  }
  if (created.ok() && !committed) {
    Violation("acknowledged DDL is in the changelog",
              "CreateTable(" + name + ") returned id " + std::to_string(created->id) +
                  " but no matching catalog record was committed");
  }
  if (!created.ok() && (committed || Contains(records, kCheckpoint))) engine_may_lag_ = true;
}

void Simulation::ActDropTable() {
  std::string name = PickLiveTable();
  if (name.empty()) return ActCreateTable();
  Status dropped = server_->cluster()->DropTable(name);
  Note("drop table " + name + ": " + Outcome(dropped));
  auto records = Observe(kTableDrop | kAllocObject | kCheckpoint, "drop table");
  if (dropped.ok() && model_.pending() > 0) {
    Violation("a DDL commits the writes made before it",
              "DropTable(" + name + ") returned OK with writes still uncommitted");
  }
  bool committed = Contains(records, kTableDrop);
  if (dropped.ok() && !committed) {
    Violation("acknowledged DDL is in the changelog",
              "DropTable(" + name + ") returned OK but no drop was committed");
  }
  if (!dropped.ok() && (committed || Contains(records, kCheckpoint))) engine_may_lag_ = true;
}

void Simulation::ActCreateUser() {
  std::vector<std::string> free;
  for (const char* name : kUserNames) {
    if (!model_.durable().users.count(name)) free.push_back(name);
  }
  if (free.empty()) return ActDropUser();
  std::string name = free[rng_.Uniform(free.size())];
  Status created = server_->users()->Create(name, "pw-" + rng_.Bytes(8));
  Note("create user " + name + ": " + Outcome(created));
  auto records = Observe(kUserCreate, "create user");
  if (created.ok() && !Contains(records, kUserCreate)) {
    Violation("an acknowledged user change is in the changelog",
              "user " + name + " created but not committed");
  }
}

void Simulation::ActDropUser() {
  const auto& users = model_.durable().users;
  if (users.empty()) return ActCreateUser();
  auto it = users.begin();
  std::advance(it, rng_.Uniform(users.size()));
  std::string name = *it;
  Status dropped = server_->users()->Drop(name);
  Note("drop user " + name + ": " + Outcome(dropped));
  auto records = Observe(kUserDrop, "drop user");
  if (dropped.ok() && !Contains(records, kUserDrop)) {
    Violation("an acknowledged user change is in the changelog",
              "user " + name + " dropped but not committed");
  }
}

void Simulation::ActSetParam() {
  std::string name = kParamNames[rng_.Uniform(3)];
  std::string value = DrawParamValue(&rng_, name);
  Status set = server_->params()->Set(name, value);
  Note("param set " + name + " " + value + ": " + Outcome(set));
  auto records = Observe(kParam, "param set");
  bool committed = false;
  for (const auto& r : records) {
    for (const auto& [n, v] : r.params) committed |= n == name && v == value;
  }
  if (set.ok() && !committed) {
    Violation("an acknowledged param change is in the changelog",
              "param " + name + " = " + value + " not committed");
  }
}

void Simulation::ActCompact() {
  Status compacted = server_->cluster()->Compact();
  Note("compact: " + Outcome(compacted));
  auto records = Observe(kAllocObject | kCompaction, "compact");
  if (!compacted.ok() && Contains(records, kCompaction)) engine_may_lag_ = true;
}

void Simulation::ActCompactPending() {
  Status compacted = server_->cluster()->CompactPending();
  Note("compact-pending: " + Outcome(compacted));
  auto records = Observe(kAllocObject | kCompaction, "compact-pending");
  if (!compacted.ok() && Contains(records, kCompaction)) engine_may_lag_ = true;
}

void Simulation::Vacuum(bool full) {
  UpdateWindowFloor();
  VacuumOptions options;
  options.full = full;
  options.dry_run = rng_.Percent(10);
  auto report = server_->cluster()->Vacuum(options);
  std::string what =
      std::string(full ? "full vacuum" : "vacuum") + (options.dry_run ? " (dry run)" : "");
  if (report.ok()) {
    Note(what + ": deleted " + std::to_string(report->deleted) + ", kept " +
         std::to_string(report->kept_by_gate));
  } else {
    Note(what + ": " + Outcome(report.status()));
  }
  Observe(kVacuum, what);
  if (!removed_pins_.empty()) {  // the injected bug is over: the pins come back
    Txn txn;
    for (auto& [key, value] : removed_pins_) txn.ops.push_back(Op::Put(key, value));
    (void)stores_->meta()->clean->Commit(txn);
    removed_pins_.clear();
  }
  if (options.dry_run) {
    for (const auto& e : stores_->data_base()->TakeEvents()) {
      if (e.kind == ObjectEvent::Kind::kDeleted) {
        Violation("a dry run deletes nothing", what + " deleted " + keys::Hex16(e.id));
        return;
      }
      pending_events_.push_back(e);
    }
  }
}

void Simulation::ActVacuum() { Vacuum(false); }
void Simulation::ActFullVacuum() { Vacuum(true); }

void Simulation::ActBackupCreate() {
  uint64_t before = model_.last_seq();
  // One in three is self-contained (copies on one thread: the faults replay by seed).
  BackupCreateOptions options{.copy_data = rng_.Percent(33), .copy_threads = 1};
  auto entry = server_->backups()->Create("step " + std::to_string(step_), options);
  Note("backup create: " +
       (entry.ok() ? "id " + std::to_string(entry->id) : Outcome(entry.status())));
  Observe(kAllocBackup | kPin, "backup create");
  ReconcileBackups(before, "backup create");
  if (entry.ok() && !listed_.count(entry->id)) {
    Violation("an acknowledged backup is listed",
              "backup " + std::to_string(entry->id) + " is not in the manifest");
  }
}

void Simulation::ActBackupDelete() {
  auto backups = ListedOn(0);
  if (backups.empty()) return ActBackupCreate();
  uint64_t id = backups[rng_.Uniform(backups.size())]->id;
  uint64_t before = model_.last_seq();
  Status deleted = server_->backups()->Delete(id);
  Note("backup delete " + std::to_string(id) + ": " + Outcome(deleted));
  Observe(kPin, "backup delete");
  ReconcileBackups(before, "backup delete");
  if (deleted.ok() && listed_.count(id)) {
    Violation("a deleted backup is no longer listed",
              "backup " + std::to_string(id) + " is still in the manifest");
  }
}

void Simulation::ActBackupVerify() {
  auto backups = ListedOn(0);
  if (backups.empty()) return ActBackupCreate();
  uint64_t id = backups[rng_.Uniform(backups.size())]->id;
  bool deep = rng_.Percent(30);
  auto verified = server_->backups()->Verify(id, deep);
  Note("backup verify " + std::to_string(id) + (deep ? " --deep" : "") + ": " +
       Outcome(verified.status()));
  Observe(0, "backup verify");
}

void Simulation::ActArchive() {
  if (rng_.Percent(50)) {
    auto report = server_->archiver()->ArchiveOnce();
    Note("archive once: " +
         (report.ok() ? std::to_string(report->records) + " records" : Outcome(report.status())));
  } else {
    Status s = server_->archiver()->RunOnce();
    Note("archiver pass: " + Outcome(s));
  }
  Observe(0, "archive");
}

void Simulation::ActExpireArchive() {
  auto report = server_->archiver()->ExpireArchive(server_->cluster_options().pitr_retention_ms);
  Note("expire archive: " +
       (report.ok() ? std::to_string(report->segments) + " segments" : Outcome(report.status())));
  Observe(0, "expire archive");
}

void Simulation::ActAdvanceClock() {
  int64_t ms = 100 + static_cast<int64_t>(rng_.Uniform(5000));
  Advance(ms);
  Note("clock +" + std::to_string(ms) + "ms");
}

void Simulation::ActAdvanceClockFar() {
  int64_t ms = 30'000 + static_cast<int64_t>(rng_.Uniform(600'000));
  Advance(ms);
  Note("clock +" + std::to_string(ms / 1000) + "s");
}

void Simulation::ActRead() {
  std::string name = PickLiveTable();
  if (name.empty()) return ActCreateTable();
  const TableState& table = model_.durable().tables.at(name);
  Cluster* cluster = server_->cluster();
  if (rng_.Percent(50)) {
    std::string key = Key(rng_.Uniform(kKeySpace));
    auto got = cluster->Get(table.id, key);
    Note("get " + name + " " + key + ": " + Outcome(got.status()));
    if (!got.ok() || engine_may_lag_) return;
    auto it = table.rows->find(key);
    std::optional<std::string> want;
    if (it != table.rows->end()) want = it->second;
    if (*got != want) {
      Violation("reads return the acknowledged value",
                "get " + name + " " + key + " returned " + (got->has_value() ? **got : "absent") +
                    ", expected " + (want ? *want : "absent"));
    }
    return;
  }
  std::string from = Key(rng_.Uniform(kKeySpace));
  std::string to = rng_.Percent(30) ? "" : Key(rng_.Uniform(kKeySpace));
  auto it = cluster->Scan(table.id, from, to);
  Rows rows;
  Status status = it.status();
  if (it.ok()) {
    for (; (*it)->Valid(); (*it)->Next()) rows[std::string((*it)->key())] = (*it)->value();
    status = (*it)->status();
  }
  Note("scan " + name + " [" + from + ", " + to + "): " + Outcome(status));
  if (!status.ok() || engine_may_lag_) return;
  Rows want;
  for (auto r = table.rows->lower_bound(from);
       r != table.rows->end() && (to.empty() || r->first < to); ++r) {
    want.insert(*r);
  }
  if (rows != want) {
    ClientState a, b;
    a.tables[name] = TableState{table.id, std::make_shared<const Rows>(want)};
    b.tables[name] = TableState{table.id, std::make_shared<const Rows>(rows)};
    Violation("reads return the acknowledged value",
              "scan " + name + " [" + from + ", " + to + ") differs:\n" + DiffStates(a, b));
  }
}

void Simulation::ActCrashPoint() {
  // The process dies at its k-th store call from now, inside one operation.
  int64_t k = static_cast<int64_t>(rng_.Uniform(40));
  bool after = rng_.Percent(50);
  server_->link()->ArmCrash(k, after);
  uint64_t op = rng_.Uniform(6);
  uint64_t before = model_.last_seq();
  std::string what;
  Status s;
  if (op == 0) {
    what = "flush";
    s = server_->cluster()->Flush().status();
  } else if (op == 1) {
    what = "compact";
    s = server_->cluster()->Compact();
  } else if (op == 2) {
    what = "full vacuum";
    UpdateWindowFloor();
    s = server_->cluster()->Vacuum({/*full=*/true, /*dry_run=*/false}).status();
  } else if (op == 3) {
    what = "backup create";
    s = server_->backups()->Create("crash point").status();
  } else if (op == 4) {
    what = "create table";
    std::string name;
    for (const char* n : kTableNames) {
      if (!model_.durable().tables.count(n)) name = n;
    }
    s = name.empty() ? Status::OK() : server_->cluster()->CreateTable(name).status();
  } else {
    what = "archiver pass";
    s = server_->archiver()->RunOnce();
  }
  bool crashed = server_->link()->crashed_mid_op();
  server_->link()->Disarm();
  if (crashed) coverage_.Add("fault.crash_point");
  Note("crash point " + std::to_string(k) + (after ? " (after apply)" : "") + " in " + what + ": " +
       (crashed ? "died" : "survived") + ", " + Outcome(s));
  Observe(kAllocObject | kAllocTable | kAllocBackup | kCheckpoint | kCompaction | kTableCreate |
              kPin | kVacuum,
          "crash point in " + what);
  ReconcileBackups(before, "crash point in " + what);
  CrashServer();
  (void)StartServer(/*must_succeed=*/true, "restart after a crash point");
}

}  // namespace cairn::sim
