#include "sim/simulation.h"

#include <algorithm>

#include "backup/pitr_segment.h"
#include "common/epoch.h"
#include "meta/changelog.h"
#include "meta/keys.h"

namespace cairn::sim {
namespace {

constexpr int kCheckBackupEvery = 20;
constexpr int kCheckPitrEvery = 20;
constexpr int kCheckFreshEvery = 15;
constexpr int kCheckArchiveEvery = 25;
constexpr uint32_t kStartKinds = kClusterId | kParam | kPin;  // pins: RecoverAtStart

}  // namespace

SeedResult RunSeed(uint64_t seed, const SimOptions& options) {
  Simulation sim(seed, options);
  return sim.Run();
}

Simulation::Simulation(uint64_t seed, const SimOptions& options)
    : seed_(seed),
      options_(options),
      rng_(Random(seed).Next() ^ 0x5DEECE66Dull),  // not seed + k*golden: streams must not overlap
      clock_(1'700'000'000'000 + static_cast<int64_t>(seed % 1000) * 86'400'000) {
  trace_.set_verbose(options.verbose);
}

Simulation::~Simulation() {
  // Servers first: they hold links into the stores.
  server_.reset();
}

void Simulation::Setup() {
  faults_ = DrawFaultPlan(&rng_, seed_);
  params_ = DrawParamPlan(&rng_);
  stores_ = std::make_unique<SimStores>(seed_, &clock_, &rng_, faults_);
  actions_ = {
      {"write", 24, &Simulation::ActWrite},
      {"write-wait", 6, &Simulation::ActWriteWait},
      {"flush", 10, &Simulation::ActFlush},
      {"create-table", 3, &Simulation::ActCreateTable},
      {"drop-table", 1, &Simulation::ActDropTable},
      {"create-user", 1, &Simulation::ActCreateUser},
      {"drop-user", 1, &Simulation::ActDropUser},
      {"set-param", 2, &Simulation::ActSetParam},
      {"compact", 4, &Simulation::ActCompact},
      {"compact-pending", 2, &Simulation::ActCompactPending},
      {"vacuum", 3, &Simulation::ActVacuum},
      {"full-vacuum", 2, &Simulation::ActFullVacuum},
      {"backup-create", 4, &Simulation::ActBackupCreate},
      {"backup-delete", 1, &Simulation::ActBackupDelete},
      {"backup-verify", 2, &Simulation::ActBackupVerify},
      {"archive", 5, &Simulation::ActArchive},
      {"expire-archive", 1, &Simulation::ActExpireArchive},
      {"advance-clock", 5, &Simulation::ActAdvanceClock},
      {"advance-clock-far", 1, &Simulation::ActAdvanceClockFar},
      {"read", 4, &Simulation::ActRead},
      {"crash-point", faults_.crash_point_weight, &Simulation::ActCrashPoint},
      {"op-crash-restart", 2, &Simulation::OpCrashRestart},
      {"op-clean-restart", 1, &Simulation::OpCleanRestart},
      {"op-lose-meta-store", 1, &Simulation::OpLoseMetaStore, true},
      {"op-restore-backup", 1, &Simulation::OpRestoreBackup, true},
      {"op-restore-pitr", 1, &Simulation::OpRestorePitr, true},
      {"op-delete-manifest", 1, &Simulation::OpDeleteManifest},
      {"op-overwrite-restore-crashed", 1, &Simulation::OpOverwriteRestoreCrashed, true},
      {"op-pause", 2, &Simulation::OpPause, true},
  };
  calm_ = rng_.Percent(50);
  Note("params: checkpoint_interval " + params_.checkpoint_interval + ", pitr_retention " +
       params_.pitr_retention + ", vacuum_min_age " + params_.vacuum_min_age);
  (void)StartServer(/*must_succeed=*/true, "first start");
}

SeedResult Simulation::Run() {
  Setup();
  while (!failed() && step_ < options_.steps && server_) Step();
  if (!failed()) Finish();
  SeedResult result;
  result.seed = seed_;
  result.steps = step_;
  result.violation = failed();
  result.report = report_;
  stores_->CountFaults(&coverage_);
  result.coverage = coverage_;
  result.details = "seed " + std::to_string(seed_) + ": " + std::to_string(step_) + " steps\n" +
                   "  faults: " + DescribeFaultPlan(faults_) + "\n  params: checkpoint_interval " +
                   params_.checkpoint_interval + ", pitr_retention " + params_.pitr_retention +
                   ", vacuum_min_age " + params_.vacuum_min_age +
                   "\n  final state: " + DescribeState(model_.durable()) + ", timeline " +
                   std::to_string(model_.timeline()) + ", " + std::to_string(listed_.size()) +
                   " listed backups\n";
  if (options_.verbose) result.details += trace_.all();
  server_.reset();
  return result;
}

void Simulation::Step() {
  ++step_;
  stores_->data_base()->set_step(step_);
  server_->MaybeRenew();
  Advance(static_cast<int64_t>(rng_.Uniform(60)));
  auto version_before = model_.current().last().ssts;
  total_weight_ = 0;
  for (const auto& a : actions_) total_weight_ += Weight(a);
  uint64_t pick = rng_.Uniform(total_weight_);
  const Action* action = &actions_.front();
  for (const auto& a : actions_) {
    if (pick < Weight(a)) {
      action = &a;
      break;
    }
    pick -= Weight(a);
  }
  coverage_.Add(std::string("act.") + action->name);
  (this->*action->run)();
  if (failed()) return;
  MaybeLoseObject();
  if (!server_) {
    Violation("the simulated cluster is always recoverable",
              std::string("no server runs after ") + action->name);
    return;
  }
  CheckObjectEvents(*version_before);
  if (failed()) return;
  CheckLive();
  if (step_ % kCheckFreshEvery == 0) CheckFresh("periodic");
  if (step_ % kCheckArchiveEvery == 0) CheckArchive();
  if (step_ % kCheckBackupEvery == 0 && !listed_.empty()) {
    auto it = listed_.begin();
    std::advance(it, rng_.Uniform(listed_.size()));
    CheckBackup(it->second, "periodic");
  }
  if (step_ % kCheckPitrEvery == 0) CheckPitr("periodic");
}

uint32_t Simulation::Weight(const Action& a) const {
  if (a.branches && calm_ && step_ * 10 < options_.steps * 7) return 0;
  return a.weight;
}

void Simulation::Finish() {
  ++step_;
  stores_->data_base()->set_step(step_);
  Note("final checks");
  CheckFresh("final");
  for (const auto& [id, backup] : listed_) {
    if (failed()) return;
    CheckBackup(backup, "final");
  }
  for (int i = 0; i < 3 && !failed(); ++i) CheckPitr("final");
  if (!failed()) CheckArchive();
  if (!failed()) CheckObjectsIntact();
}

void Simulation::MaybeLoseObject() {
  if (options_.bug != InjectedBug::kLoseObject || object_lost_ || step_ < options_.steps / 4)
    return;
  for (const auto& [id, b] : listed_) {
    for (uint64_t sst : *b.ssts) {
      std::string key = "data/" + keys::Hex16(sst) + ".sst";
      if (!stores_->data_base()->Head(key).ok()) continue;
      (void)stores_->data_base()->LoseSilently(key);
      object_lost_ = true;
      Note("injected bug: the object store silently loses " + key);
      return;
    }
  }
}

void Simulation::Violation(const std::string& invariant, const std::string& details) {
  if (failed()) return;
  report_ = "seed " + std::to_string(seed_) + ": VIOLATION at step " + std::to_string(step_) +
            ": " + invariant + "\n    " + details + "\n  trace (last actions):\n" + trace_.Tail() +
            "reproduce: cairn-sim --seed " + std::to_string(seed_) + " --steps " +
            std::to_string(options_.steps) + "\n";
}

void Simulation::Note(const std::string& line) { trace_.Add(step_, line); }

std::string Simulation::Outcome(const Status& s) const {
  return s.ok() ? "ok" : Short(s.ToString());
}

std::vector<RecordSummary> Simulation::Observe(uint32_t allowed, const std::string& what) {
  std::vector<RecordSummary> out;
  MetaStore* meta = stores_->meta()->clean.get();
  // A lost or half-restored meta store holds no history the model follows; the actions
  // that create one check that nothing but a restore writes to it.
  if (meta_unadopted_) return out;
  std::string begin = keys::ChangelogKey(model_.last_seq() + 1);
  const std::string end = PrefixEnd(keys::kChangelogPrefix);
  while (!failed()) {
    auto page = meta->Range(begin, end, 1000);
    if (!page.ok()) {
      Violation("the clean meta store answers", page.status().ToString());
      return out;
    }
    for (const KeyValue& kv : *page) {
      auto record = DecodeChangelogRecord(kv.value);
      if (!record.ok()) {
        Violation("changelog records decode", kv.key + ": " + record.status().ToString());
        return out;
      }
      std::string violation;
      RecordSummary summary = model_.Apply(*record, &violation);
      if (!violation.empty()) Violation("the changelog is a consistent history", violation);
      if (summary.kinds & kUnknown) {
        Violation("every meta key is known", what + " wrote " + summary.unknown_key);
      }
      if (summary.kinds & ~allowed) {
        std::string keys;
        for (const Op& op : record->ops) keys += " " + op.key;
        Violation("only the current action changes metadata",
                  what + " committed seq " + std::to_string(record->seq) + " (" +
                      DescribeKinds(summary.kinds) + ":" + Short(keys, 120) +
                      "), allowed: " + DescribeKinds(allowed));
      }
      if (model_.timeline() == 1) first_records_[record->seq] = kv.value;
      out.push_back(std::move(summary));
    }
    if (page->size() < 1000) break;
    begin = page->back().key + '\0';
  }
  auto head = meta->Get(keys::kChangelogSeq);
  uint64_t head_seq = 0;
  if (head.ok() && *head) head_seq = ParseDecimalValue((*head)->value);
  if (!head.ok() || head_seq != model_.last_seq()) {
    Violation("the changelog holds every record up to its head",
              "head " + std::to_string(head_seq) + ", records end at " +
                  std::to_string(model_.last_seq()) + " after " + what);
  }
  return out;
}

int Simulation::NewPid() {
  int pid = next_pid_++;
  live_pids_.insert(pid);
  return pid;
}

Status Simulation::StartServer(bool must_succeed, const std::string& why) {
  Status last;
  std::string stage;
  for (int attempt = 0; attempt < 4 && !failed(); ++attempt) {
    bool faults = attempt < 3;
    ServerConfig config;
    config.stores = stores_.get();
    config.meta = stores_->meta();
    config.clock = &clock_;
    config.pid = NewPid();
    config.random_seed = rng_.Next();
    config.pid_alive = [this](int pid) { return live_pids_.count(pid) > 0; };
    config.initial_params = first_start_ ? &params_ : nullptr;
    if (options_.bug == InjectedBug::kVacuumIgnoresPins) {
      config.vacuum_hook = [this](VacuumStep) {
        MetaStore* meta = stores_->meta()->clean.get();
        auto pins = meta->Range(std::string(keys::kBackupPinPrefix),
                                PrefixEnd(keys::kBackupPinPrefix), 1000);
        if (!pins.ok()) return;
        Txn txn;
        for (const auto& kv : *pins) {
          removed_pins_.emplace_back(kv.key, kv.value);
          txn.ops.push_back(Op::Delete(kv.key));
        }
        if (!txn.ops.empty()) (void)meta->Commit(txn);
      };
    }
    auto started = SimServer::Start(config, faults, &stage);
    Observe(kStartKinds, "server start");
    if (started.ok()) {
      server_ = std::move(started).value();
      first_start_ = false;
      engine_may_lag_ = false;
      checkpoint_interval_ms_ = server_->cluster_options().checkpoint_interval_ms;
      int64_t retention = server_->cluster_options().pitr_retention_ms;
      min_retention_ms_ =
          min_retention_ms_ < 0 ? retention : std::min(min_retention_ms_, retention);
      Note("start server pid " + std::to_string(config.pid) + " (" + why + "): ok" +
           (faults ? "" : " (faults off)"));
      CheckFresh("after start");
      return Status::OK();
    }
    live_pids_.erase(config.pid);
    last = started.status();
    Note("start server pid " + std::to_string(config.pid) + " (" + why + "): " + stage + ": " +
         Outcome(last));
    if (last.code() == ErrorCode::kFailedPrecondition || last.code() == ErrorCode::kBusy) break;
  }
  if (must_succeed) {
    Violation("every crash leaves a state from which restart succeeds",
              why + ": " + stage + ": " + last.ToString());
  }
  return last;
}

void Simulation::CrashServer() {
  if (!server_) return;
  live_pids_.erase(server_->pid());
  server_->Kill();
  server_.reset();
  model_.DropPending();
}

void Simulation::StopServer() {
  if (!server_) return;
  Status s = server_->Stop();
  live_pids_.erase(server_->pid());
  server_.reset();
  model_.DropPending();  // a clean shutdown flushes nothing new (cluster.h Close)
  Note("stop server: " + Outcome(s));
  Observe(0, "clean stop");
}

void Simulation::Advance(int64_t ms) {
  while (ms > 0) {
    int64_t d = std::min<int64_t>(ms, kLeaseTtlMs / 4);
    clock_.Advance(d);
    ms -= d;
    if (server_) server_->MaybeRenew();
  }
  // The running server may now delete history older than its own retention (vacuum,
  // archiver passes, expire): params raised since it started take effect only at the
  // next start, so its retention, not the param's, bounds the window from here on.
  UpdateWindowFloor();
  MaybeArchive();
}

void Simulation::MaybeArchive() {
  if (!server_ || clock_.NowMillis() < next_archive_ms_) return;
  next_archive_ms_ = clock_.NowMillis() + checkpoint_interval_ms_;
  Status s = server_->archiver()->RunOnce();
  coverage_.Add(s.ok() ? "act.archiver_pass" : "act.archiver_pass_failed");
}

void Simulation::UpdateWindowFloor() {
  if (!server_) return;
  window_floor_ms_ =
      std::max(window_floor_ms_, clock_.NowMillis() - server_->cluster_options().pitr_retention_ms);
}

const std::vector<ListedBackup*> Simulation::ListedOn(int timeline) {
  std::vector<ListedBackup*> out;
  for (auto& [id, b] : listed_) {
    if (timeline == 0 || b.timeline == timeline) out.push_back(&b);
  }
  return out;
}

const ListedBackup* Simulation::PickRestorable() {
  std::vector<const ListedBackup*> candidates;
  for (const auto& [id, b] : listed_) {
    candidates.push_back(&b);
  }
  if (candidates.empty()) return nullptr;
  return candidates[rng_.Uniform(candidates.size())];
}

Result<Manifest> Simulation::ReadManifest() {
  BackupStorage storage(stores_->backup_base());
  return storage.LoadManifestOrEmpty();
}

void Simulation::ReconcileBackups(uint64_t seq_before, const std::string& what) {
  auto manifest = ReadManifest();
  if (!manifest.ok()) {
    Violation("the manifest is readable", what + ": " + manifest.status().ToString());
    return;
  }
  std::set<uint64_t> present;
  for (const SnapshotEntry& e : manifest->snapshots) {
    present.insert(e.id);
    if (listed_.count(e.id)) continue;
    if (e.changelog_seq < seq_before || e.changelog_seq > model_.last_seq()) {
      Violation("a backup's cut lies inside its job",
                what + ": backup " + std::to_string(e.id) + " cut at seq " +
                    std::to_string(e.changelog_seq) + ", the job ran over seqs " +
                    std::to_string(seq_before) + ".." + std::to_string(model_.last_seq()));
      return;
    }
    const HistoryEntry& at = model_.current().AtSeq(e.changelog_seq);
    listed_[e.id] = ListedBackup{e.id,     e.changelog_seq, e.created_ms,      model_.timeline(),
                                 at.state, at.ssts,         e.self_contained()};
  }
  for (auto it = listed_.begin(); it != listed_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    if (what != "backup delete") {
      Violation(
          "a listed backup stays listed until deleted",
          "backup " + std::to_string(it->first) + " vanished from the manifest during " + what);
      return;
    }
    it = listed_.erase(it);
  }
}

uint64_t Simulation::ArchivedSeq() {
  // Timeline 1's segments (the oracle checks PITR on timeline 1 only).
  auto segments = ListSegments(stores_->backup_base());
  uint64_t last = 0;
  if (!segments.ok()) return 0;
  for (const SegmentInfo& s : *segments) {
    if (s.timeline == 1) last = std::max(last, s.last_seq);
  }
  return last;
}

}  // namespace cairn::sim
