// One simulated `cairn server` process, started the way src/server/server.cc starts
// one: the start-up guard (CheckClusterStores) before anything is written, the writer
// lease, the MetaWriter fenced by the lease, the cluster identity, the params, the
// engine (no background threads: the simulator drives checkpoints, compactions and
// lease renewals itself), the backup service and the changelog archiver (through a
// meta store view fenced by the lease).
//
// Kill() is a crash: the process's links die first, so nothing it still holds can
// write (its lease stays behind, held by a dead process). Stop() is a clean shutdown.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "backup/backup_service.h"
#include "backup/changelog_archive.h"
#include "common/clock.h"
#include "common/random.h"
#include "meta/meta_writer.h"
#include "meta/params.h"
#include "meta/users.h"
#include "meta/writer_lease.h"
#include "sim/fault_plan.h"
#include "sim/process_link.h"
#include "sim/stores.h"
#include "storage/cluster.h"
#include "storage/cluster_guard.h"

namespace cairn::sim {

inline constexpr int64_t kLeaseTtlMs = 15000;

struct ServerConfig {
  SimStores* stores = nullptr;
  MetaGeneration* meta = nullptr;  // the meta store this server is configured with
  Clock* clock = nullptr;
  int pid = 0;               // simulated process id (never a real one)
  uint64_t random_seed = 0;  // cluster id, holder id, password salts
  std::function<bool(int)> pid_alive;
  const ParamPlan* initial_params = nullptr;  // the operator's params, set at first start
  std::function<void(VacuumStep)> vacuum_hook;
};

class SimServer {
 public:
  // Starts a server. On failure the process exits: what it acquired is released (as
  // the real server's shutdown does), and `*stage` names the step that failed.
  static Result<std::unique_ptr<SimServer>> Start(const ServerConfig& config, bool faults,
                                                  std::string* stage);
  ~SimServer();

  Cluster* cluster() { return cluster_.get(); }
  MetaWriter* writer() { return writer_.get(); }
  Users* users() { return users_.get(); }
  SystemParams* params() { return params_.get(); }
  BackupService* backups() { return backups_.get(); }
  ChangelogArchiver* archiver() { return archiver_.get(); }
  WriterLease* lease() { return lease_.get(); }
  LinkState* link() { return link_.get(); }
  MetaGeneration* meta() { return config_.meta; }
  int pid() const { return config_.pid; }
  const ClusterOptions& cluster_options() const { return cluster_options_; }
  const StoreSurvey& survey() const { return survey_; }

  // The renewer thread's step: renews when ttl/3 passed since the last attempt.
  void MaybeRenew();
  // Clean shutdown: a last archiver pass, close the engine, release the lease.
  Status Stop();
  // Crash: every link dies at once; then the in-memory objects go.
  void Kill();

 private:
  explicit SimServer(const ServerConfig& config);
  Status Open(std::string* stage);
  void Destroy();

  ServerConfig config_;
  Random random_;
  std::shared_ptr<LinkState> link_;
  std::unique_ptr<ProcessMetaLink> meta_link_;
  std::unique_ptr<ProcessObjectLink> data_link_, backup_link_;
  StoreSurvey survey_;
  std::unique_ptr<WriterLease> lease_;
  std::unique_ptr<MetaWriter> writer_;
  std::unique_ptr<SystemParams> params_;
  std::unique_ptr<Users> users_;
  ClusterOptions cluster_options_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<BackupService> backups_;
  std::unique_ptr<FencedMetaStore> archiver_meta_;
  std::unique_ptr<ChangelogArchiver> archiver_;
  int64_t last_renew_ms_ = 0;
};

}  // namespace cairn::sim
