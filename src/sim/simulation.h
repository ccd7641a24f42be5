// One seed of the simulation: the world (stores, clock, the one seeded Random), the
// live server process, the model and the oracle, driven step by step by the workload.
// Everything random derives from the seed's Random; nothing reads the wall clock or
// depends on thread timing, so a seed replays byte for byte.
//
// The work is split by concern: simulation.cc (setup, the step loop, starting and
// stopping servers, following the changelog), workload.cc (client and maintenance
// actions), operator_actions.cc (crashes, lost meta stores, restores, paused
// servers), oracle.cc (the invariants).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "common/clock.h"
#include "common/random.h"
#include "sim/coverage.h"
#include "sim/fault_plan.h"
#include "sim/model.h"
#include "sim/sim_options.h"
#include "sim/sim_server.h"
#include "sim/stores.h"
#include "sim/trace.h"

namespace cairn::sim {

struct SeedResult {
  uint64_t seed = 0;
  bool violation = false;
  int steps = 0;        // steps run (all of them unless a violation stopped the seed)
  std::string report;   // the violation report (empty when none)
  std::string details;  // the seed's configuration and coverage (single-seed runs)
  Coverage coverage;
};

SeedResult RunSeed(uint64_t seed, const SimOptions& options);

// A backup the model knows to be listed, with what it must restore to.
struct ListedBackup {
  uint64_t id = 0;
  uint64_t changelog_seq = 0;
  int64_t created_ms = 0;
  int timeline = 1;
  std::shared_ptr<const ClientState> state;
  std::shared_ptr<const SstSet> ssts;
  bool self_contained = false;  // --copy-data: restores into an empty object store too
};

class Simulation {
 public:
  Simulation(uint64_t seed, const SimOptions& options);
  ~Simulation();
  SeedResult Run();

 private:
  struct Action {
    const char* name;
    uint32_t weight;
    void (Simulation::*run)();
    bool branches = false;  // starts a new timeline (or may): held back in calm seeds
  };

  // --- simulation.cc ---
  void Setup();
  void Step();
  void Finish();
  void MaybeLoseObject();  // the injected lose-object bug
  void Violation(const std::string& invariant, const std::string& details);
  bool failed() const { return !report_.empty(); }
  void Note(const std::string& line);
  std::string Outcome(const Status& s) const;
  // Reads the changelog records committed since the model's last one (without faults)
  // and applies them. Records of kinds outside `allowed` are a violation: nothing but
  // the current action may change metadata.
  std::vector<RecordSummary> Observe(uint32_t allowed, const std::string& what);
  // Starts a server on the current meta store. With `must_succeed`, failing with the
  // faults off is a violation ("every crash leaves a state from which restart succeeds").
  Status StartServer(bool must_succeed, const std::string& why);
  void CrashServer();
  void StopServer();
  int NewPid();
  void Advance(int64_t ms);  // moves the clock; the live server's renewer keeps up
  // The server's archiver thread: a pass every checkpoint interval (docs/pitr.md, RPO).
  void MaybeArchive();
  void UpdateWindowFloor();
  const std::vector<ListedBackup*> ListedOn(int timeline);
  // A listed backup an operator restores: by default one on the current lineage
  // (finding 5 in docs/simulation.md: pins mislead vacuum across branches).
  const ListedBackup* PickRestorable();
  Result<Manifest> ReadManifest();
  // Brings the model's backup list in line with the manifest after a job whose outcome
  // the system itself did not know (a lost acknowledgement). `state` is what a backup
  // cut during the job holds.
  void ReconcileBackups(uint64_t seq_before, const std::string& what);
  uint64_t ArchivedSeq();

  // --- workload.cc ---
  void ActWrite();
  void ActWriteWait();
  void ActFlush();
  void ActCreateTable();
  void ActDropTable();
  void ActCreateUser();
  void ActDropUser();
  void ActSetParam();
  void ActCompact();
  void ActCompactPending();  // the background path: PickAuto through the reservations
  void ActVacuum();
  void ActFullVacuum();
  void ActBackupCreate();
  void ActBackupDelete();
  void ActBackupVerify();
  void ActArchive();
  void ActExpireArchive();
  void ActAdvanceClock();
  void ActAdvanceClockFar();
  void ActRead();
  void ActCrashPoint();
  void Vacuum(bool full);
  WriteBatch DrawBatch(std::vector<WriteBatch::Entry>* entries);
  std::string PickLiveTable();

  // --- operator_actions.cc ---
  void OpCrashRestart();
  void OpCleanRestart();
  void OpLoseMetaStore();
  void OpRestoreBackup();
  void OpRestorePitr();
  void OpDeleteManifest();
  void OpOverwriteRestoreCrashed();
  void OpPause();
  // Restores `backup` (or, with backup == nullptr, the point `pitr`) the way an
  // operator runs `cairn restore`: `fault_attempts` tries through `faulty`, then (with
  // `clean_retry`) one through `clean`. A live lease is waited out or forced. On
  // success *restored is what the model says the target now holds.
  Status OperatorRestore(const ListedBackup* backup, const PointInTimeOptions* pitr,
                         MetaStore* faulty, MetaStore* clean, bool overwrite, int fault_attempts,
                         bool clean_retry, HistoryEntry* restored);
  // After a successful restore into `generation`: the new timeline in the model, the
  // id-generator check, then a server on it.
  // `floor_ids` (overwrite restores): the target's generators before the restore.
  void AdoptRestore(MetaGeneration* generation, const HistoryEntry& restored,
                    const std::string& what,
                    const std::map<std::string, uint64_t>* floor_ids = nullptr);
  // Restores listed backup `b` into the fresh `generation` (two tries with faults, then a
  // clean one) and adopts it as `what`; false after the violation "every listed backup
  // restores" (or any later one).
  bool RestoreListed(const ListedBackup& b, MetaGeneration* generation, const std::string& what);
  bool StopForRestore();  // stops (or crashes) the live server before an offline restore
  void ZombieMustBeFenced(SimServer* zombie, MetaGeneration* zombie_meta);
  PointInTimeOptions PitrTarget(bool* have, bool* strict, uint64_t* target);

  // --- oracle.cc ---
  void CheckLive();
  void CheckFresh(const std::string& when);
  bool CheckBackup(const ListedBackup& backup, const std::string& when);
  bool CheckSelfContained(const ListedBackup& backup, const std::string& what);
  // The backup read in place (backup_version.h, frozen_version.h) equals its cut.
  void CheckBackupRead(const ListedBackup& backup, const std::string& when);
  void CheckPitr(const std::string& when);
  void CheckObjectEvents(const SstSet& version_before);
  void CheckObjectsIntact();
  void CheckArchive();
  SstSet ReferencedObjects();
  // What a PITR restore to `target` must produce, given the archive and the snapshot
  // it started from (docs/pitr.md: replay stops at the first record after the target,
  // and the archive ends where the archiver last ran).
  const HistoryEntry& ExpectedAtPoint(uint64_t target, uint64_t snapshot_seq,
                                      uint64_t archived_seq);

  const uint64_t seed_;
  const SimOptions options_;
  Random rng_;
  ManualClock clock_;
  FaultPlan faults_;
  ParamPlan params_;
  std::unique_ptr<SimStores> stores_;
  std::unique_ptr<SimServer> server_;
  Model model_;
  Trace trace_;
  Coverage coverage_;
  std::vector<Action> actions_;
  uint64_t total_weight_ = 0;
  // Swarm over actions: a calm seed holds back what starts new timelines for its first
  // 70% of steps, so that timeline 1 (the one the archive and the PITR checks follow)
  // lives long.
  bool calm_ = false;
  uint32_t Weight(const Action& a) const;

  int step_ = 0;
  std::string report_;
  std::map<uint64_t, ListedBackup> listed_;        // backups the manifest lists
  std::map<uint64_t, std::string> first_records_;  // timeline 1's records, encoded, by seq
  std::set<int> live_pids_;
  int next_pid_ = 5'000'000;  // above any real pid, so takeover checks never see ours
  bool first_start_ = true;
  bool meta_unadopted_ = false;   // the current meta store was lost and not restored yet
  bool engine_may_lag_ = false;   // a lost ack left the engine's memory behind its store
  int64_t first_restore_ms_ = 0;  // when the first restore ended timeline 1 (0 = none)
  int last_restore_step_ = -1;    // step of the latest restore
  // What is older may be gone: some server ran with a shorter retention.
  int64_t window_floor_ms_ = 0;
  int64_t min_retention_ms_ = -1;
  std::vector<ObjectEvent> pending_events_;
  std::vector<std::pair<std::string, std::string>> removed_pins_;  // injected bug: put back
  std::set<std::string> verified_segments_;
  bool object_lost_ = false;  // the lose-object bug struck
  int64_t checkpoint_interval_ms_ = 1000;
  int64_t next_archive_ms_ = 0;
};

}  // namespace cairn::sim
