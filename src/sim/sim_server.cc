#include "sim/sim_server.h"

namespace cairn::sim {

SimServer::SimServer(const ServerConfig& config)
    : config_(config), random_(config.random_seed), link_(std::make_shared<LinkState>()) {
  meta_link_ =
      std::make_unique<ProcessMetaLink>(config.meta->faulty.get(), config.meta->clean.get(), link_);
  data_link_ = std::make_unique<ProcessObjectLink>(config.stores->data_faulty(),
                                                   config.stores->data_base(), link_);
  backup_link_ = std::make_unique<ProcessObjectLink>(config.stores->backup_faulty(),
                                                     config.stores->backup_base(), link_);
}

SimServer::~SimServer() { Kill(); }

Result<std::unique_ptr<SimServer>> SimServer::Start(const ServerConfig& config, bool faults,
                                                    std::string* stage) {
  std::unique_ptr<SimServer> server(new SimServer(config));
  server->link_->set_faults(faults);
  Status opened = server->Open(stage);
  if (!opened.ok()) {
    // The real server's Shutdown() after a failed Open: release what was acquired.
    if (server->lease_) (void)server->lease_->Release();
    server->Kill();
    return opened;
  }
  server->link_->set_faults(true);
  return server;
}

Status SimServer::Open(std::string* stage) {
  Clock* clock = config_.clock;
  *stage = "start-up guard";
  CAIRN_ASSIGN_OR_RETURN(survey_, CheckClusterStores(meta_link_.get(), data_link_.get(),
                                                     config_.stores->backup_url()));
  *stage = "writer lease";
  WriterLeaseOptions lease_options;
  lease_options.hostname = "simhost";
  lease_options.pid_alive = config_.pid_alive;
  std::string holder =
      "simhost:" + std::to_string(config_.pid) + ":" + std::to_string(random_.Uniform(100000));
  lease_ =
      std::make_unique<WriterLease>(data_link_.get(), clock, holder, kLeaseTtlMs, lease_options);
  CAIRN_RETURN_IF_ERROR(lease_->Acquire());
  last_renew_ms_ = clock->NowMillis();

  *stage = "meta writer";
  writer_ = std::make_unique<MetaWriter>(meta_link_.get(), clock);
  writer_->SetFence([lease = lease_.get()] { return lease->Check(); });
  CAIRN_RETURN_IF_ERROR(writer_->Open());
  *stage = "cluster identity";
  CAIRN_RETURN_IF_ERROR(
      EstablishClusterIdentity(writer_.get(), data_link_.get(), survey_, &random_).status());
  params_ = std::make_unique<SystemParams>(writer_.get());
  users_ = std::make_unique<Users>(writer_.get(), /*iterations=*/1000);
  *stage = "params";
  if (config_.initial_params) {
    CAIRN_RETURN_IF_ERROR(
        params_->Set("checkpoint_interval", config_.initial_params->checkpoint_interval));
    CAIRN_RETURN_IF_ERROR(params_->Set("pitr_retention", config_.initial_params->pitr_retention));
    CAIRN_RETURN_IF_ERROR(params_->Set("vacuum_min_age", config_.initial_params->vacuum_min_age));
  }
  // The configured backup storage is recorded as a param (server.cc RecordBackupStorage).
  CAIRN_ASSIGN_OR_RETURN(ParamValue recorded, params_->Get("backup_storage_url"));
  if (recorded.value != config_.stores->backup_url()) {
    CAIRN_RETURN_IF_ERROR(params_->Set("backup_storage_url", config_.stores->backup_url()));
  }
  CAIRN_ASSIGN_OR_RETURN(cluster_options_.checkpoint_interval_ms,
                         params_->GetDurationMs("checkpoint_interval"));
  CAIRN_ASSIGN_OR_RETURN(cluster_options_.pitr_retention_ms,
                         params_->GetDurationMs("pitr_retention"));
  CAIRN_ASSIGN_OR_RETURN(cluster_options_.vacuum_min_age_ms,
                         params_->GetDurationMs("vacuum_min_age"));
  cluster_options_.clock = clock;
  cluster_options_.background_threads = false;
  // Only the workload's Compact() compacts here: L0 may grow without bound by design,
  // so the L0 write stall (which waits for a background compaction) is off.
  cluster_options_.write_stall.level0_slowdown_writes_trigger = UINT64_MAX;
  cluster_options_.write_stall.level0_stop_writes_trigger = UINT64_MAX;
  cluster_options_.block_cache_bytes = 1 << 20;
  cluster_options_.vacuum_hook = config_.vacuum_hook;
  *stage = "cluster open";
  CAIRN_ASSIGN_OR_RETURN(cluster_,
                         Cluster::Open(writer_.get(), data_link_.get(), cluster_options_));

  backups_ =
      std::make_unique<BackupService>(writer_.get(), data_link_.get(), backup_link_.get(), clock);
  // Pins of backups that crashed with the previous server (server.cc: a warning only).
  (void)backups_->RecoverAtStart();
  ChangelogArchiverOptions archiver_options;
  archiver_options.clock = clock;
  archiver_options.pitr_retention_ms = cluster_options_.pitr_retention_ms;
  archiver_meta_ = std::make_unique<FencedMetaStore>(
      meta_link_.get(), [lease = lease_.get()] { return lease->Check(); });
  archiver_ = std::make_unique<ChangelogArchiver>(archiver_meta_.get(), backup_link_.get(),
                                                  archiver_options);
  *stage = "";
  return Status::OK();
}

void SimServer::MaybeRenew() {
  if (!lease_ || link_->dead()) return;
  int64_t now = config_.clock->NowMillis();
  if (now - last_renew_ms_ < kLeaseTtlMs / 3) return;
  last_renew_ms_ = now;
  (void)lease_->RenewOnce();
}

Status SimServer::Stop() {
  Status status;
  if (archiver_) status = archiver_->RunOnce();  // Stop()'s last pass
  if (cluster_) (void)cluster_->Close();
  Status released = lease_ ? lease_->Release() : Status::OK();
  Kill();
  return released.ok() ? status : released;
}

void SimServer::Kill() {
  link_->Kill();
  Destroy();
}

void SimServer::Destroy() {
  archiver_.reset();
  archiver_meta_.reset();
  backups_.reset();
  cluster_.reset();
  users_.reset();
  params_.reset();
  writer_.reset();
  lease_.reset();
}

}  // namespace cairn::sim
