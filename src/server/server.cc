#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "backup/backup_encryption.h"
#include "backup/backup_service.h"
#include "backup/changelog_archive.h"
#include "backup/changelog_trim.h"
#include "backup/clone_detach.h"
#include "backup/clone_registry.h"
#include "common/logging.h"
#include "meta/params.h"
#include "meta/users.h"
#include "meta/writer_lease.h"
#include "meta_store/lazy_meta_store.h"
#include "server/api_routes.h"
#include "server/backup_key_file.h"
#include "server/backup_scheduler.h"
#include "server/backup_storage_open.h"
#include "server/clone_guard.h"
#include "server/health.h"
#include "server/http_server.h"
#include "server/http_tls.h"
#include "server/live_params.h"
#include "server/services.h"
#include "server/shutdown_signals.h"
#include "server/tls.h"
#include "server/token_file.h"
#include "server/vacuum_scheduler.h"
#include "storage/cluster_guard.h"

namespace cairn::server {
namespace {

constexpr int kMaxRpcThreads = 256;
constexpr int kMaxConnectionAgeMs = 60 * 60'000;
constexpr int kMaxConnectionAgeGraceMs = 5 * 60'000;

// After the grace for in-flight RPCs: closing the engine, the archiver's last pass and
// releasing the lease get this long before the process exits regardless.
constexpr std::chrono::milliseconds kShutdownCloseBound{10'000};
constexpr std::chrono::milliseconds kCancelAfterClose{1'000};

// Backup create/list/show/verify: 30 at once, then one every 2 s.
constexpr int kBackupRpcBurst = 30;
constexpr int64_t kBackupRpcRefillMs = 2000;

Result<ServerOptions> LoadOptions(const ServerOptions& flags, const std::string& config_file) {
  CAIRN_RETURN_IF_ERROR(RejectSecretsInFlags(flags));
  ServerOptions options = flags;
  if (!config_file.empty()) {
    if (std::filesystem::exists(config_file)) {
      CAIRN_RETURN_IF_ERROR(CheckPrivateFile(config_file, "config file"));
    }
    CAIRN_ASSIGN_OR_RETURN(ServerOptions file, ReadConfigFile(config_file));
    options = MergeOptions(file, flags);
  }
  CAIRN_RETURN_IF_ERROR(RejectCredentialsInStorageUrls(options));
  return ResolveServerOptions(std::move(options));
}

// Secrets (the token, TLS key, user passwords in flight) must not end up in a core
// dump; --allow-core-dumps keeps them for debugging.
void ProtectSecretsFromCoreDumps(bool allow) {
  if (allow) return;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    CAIRN_LOG_WARN("prctl(PR_SET_DUMPABLE, 0) failed: core dumps may hold secrets");
  }
}

std::string HolderId(Random* random) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" +
         std::to_string(random->Next() % 100000);
}

Result<ClusterOptions> ClusterOptionsFromParams(SystemParams* params) {
  ClusterOptions options;
  CAIRN_ASSIGN_OR_RETURN(options.checkpoint_interval_ms,
                         params->GetDurationMs("checkpoint_interval"));
  CAIRN_ASSIGN_OR_RETURN(options.pitr_retention_ms, params->GetDurationMs("pitr_retention"));
  CAIRN_ASSIGN_OR_RETURN(options.vacuum_min_age_ms, params->GetDurationMs("vacuum_min_age"));
  return options;
}

// The configured backup storage becomes the backup_storage_url param, so that it is
// part of the metadata a restore brings back.
Status RecordBackupStorage(SystemParams* params, const std::string& url) {
  if (url.empty()) return Status::OK();
  CAIRN_ASSIGN_OR_RETURN(ParamValue current, params->Get("backup_storage_url"));
  if (current.value == url) return Status::OK();
  return params->Set("backup_storage_url", url);
}

// The writer lease's on_lost: another writer owns the stores now. The SIGTERM reaches
// ShutdownSignals, and Run returns the lease's error.
void ShutDownOnLostLease(const Status& lost) {
  CAIRN_LOG_ERROR("shutting down: {}", lost.message());
  kill(getpid(), SIGTERM);
}

// The HTTP listener's defaults, with TLS from the same PEM files as gRPC when set.
Result<HttpServerOptions> HttpListenerOptions(const ServerOptions& options) {
  HttpServerOptions http;
  if (options.tls_cert_file.empty()) return http;
  CAIRN_ASSIGN_OR_RETURN(
      auto tls,
      TlsServerContext::Open(options.tls_cert_file, options.tls_key_file, options.tls_ca_file));
  http.transport = [tls](int fd) { return tls->Wrap(fd); };
  return http;
}

class Server {
 public:
  Status Run(const ServerOptions& options);

 private:
  Status Open(const ServerOptions& options);
  // Opens backup storage with its encryption keys and checks that they read the newest
  // backup: before anything is written anywhere.
  Status OpenBackupStorageWithKeys(const ServerOptions& options);
  Status OpenBackups(const std::string& url, const ClusterOptions& cluster_options);
  // Vacuum keeps what this cluster's clones reference and never deletes its base's SSTs.
  void AddCloneHooks(ClusterOptions* options);
  Status Serve(const ServerOptions& options);
  // /healthz, /metrics, the JSON API and the console (docs/api.md).
  void AddHttpRoutes(const std::string& grpc_address, const std::string& http_address);
  std::string MetricsText();  // GET /metrics
  void Shutdown();
  // Waits for the RPCs to drain up to the grace, then closes the engine, which fails the
  // writes still waiting for a checkpoint (Aborted) so that their RPCs return; gRPC
  // cancels the rest a second later.
  void DrainRpcs();
  HealthInput HealthNow();
  // Live params and the background backup schedule and vacuum (docs/server.md).
  Status OpenOperatorTasks();
  void StartOperatorTasks();
  void StopOperatorTasks();
  void ApplyLiveValues(const LiveValues& values);

  SystemClock* clock_ = SystemClock::Default();
  Random random_{std::random_device{}() ^
                 static_cast<uint64_t>(SystemClock::Default()->NowMillis())};
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<ObjectStore> objects_;
  CloneObjectStore* clone_layer_ = nullptr;  // objects_, when this cluster is a clone
  std::unique_ptr<WriterLease> lease_;
  std::unique_ptr<MetaWriter> writer_;
  std::unique_ptr<SystemParams> params_;
  std::unique_ptr<Users> users_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<ObjectStore> backup_storage_;
  std::unique_ptr<BackupService> backups_;
  std::unique_ptr<BackupReader> backup_reader_;  // with backup_storage_
  std::unique_ptr<FencedMetaStore> archiver_meta_;
  std::unique_ptr<ChangelogArchiver> archiver_;
  // Set once the archiver exists; the MetaWriter's fence reads it from any thread.
  std::atomic<ChangelogArchiver*> backlog_gate_{nullptr};
  std::unique_ptr<FencedMetaStore> trimmer_meta_;
  std::unique_ptr<ChangelogTrimmer> trimmer_;  // without backup storage
  uint64_t max_changelog_backlog_ = 0;
  std::unique_ptr<LiveParams> live_;
  std::unique_ptr<BackupScheduler> backup_scheduler_;  // with backups_
  std::unique_ptr<VacuumScheduler> vacuum_scheduler_;
  int64_t checkpoint_interval_ms_ = 1000;
  std::chrono::milliseconds shutdown_grace_{30'000};
  std::unique_ptr<Authorizer> auth_;
  std::unique_ptr<RateLimiter> backup_limiter_;
  std::unique_ptr<HttpAuth> http_auth_;
  ApiActivity api_activity_;
  HttpRouter router_;  // complete before the HTTP listener serves
  ServiceEnv service_env_;
  Metrics metrics_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<HttpServer> http_;
};

Status Server::Open(const ServerOptions& options) {
  std::string token;
  if (!options.auth_token_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(token, ReadTokenFile(options.auth_token_file));
  }
  http_auth_ = std::make_unique<HttpAuth>(token);
  // Created at the first write: a refused start leaves no new file behind.
  auto meta = OpenMetaStoreLazily(options.meta_store);
  if (!meta.ok()) return meta.status().WithContext("cannot open meta store");
  meta_ = std::move(meta).value();
  // Before backup storage is opened (an fs:// one is created by that).
  CAIRN_RETURN_IF_ERROR(CheckBackupStorageKeepsClones(meta_.get(), options.backup_storage));
  CAIRN_RETURN_IF_ERROR(OpenBackupStorageWithKeys(options));
  auto objects = OpenObjectStore(options.object_store);
  if (!objects.ok()) return objects.status().WithContext("cannot open object store");
  objects_ = std::move(objects).value();
  // A clone reads its base's SSTs in place (docs/clones.md).
  CAIRN_ASSIGN_OR_RETURN(objects_, OpenClusterObjects(meta_.get(), std::move(objects_),
                                                      options.backup_storage, &clone_layer_));
  // Before anything is written (the lease included): the two stores belong together.
  CAIRN_ASSIGN_OR_RETURN(StoreSurvey survey,
                         CheckClusterStores(meta_.get(), objects_.get(), options.backup_storage));

  lease_ = std::make_unique<WriterLease>(objects_.get(), clock_, HolderId(&random_),
                                         options.lease_ttl_ms);
  lease_->SetOnLost(ShutDownOnLostLease);
  CAIRN_RETURN_IF_ERROR(lease_->Acquire());
  lease_->StartRenewing();  // now: opening the cluster may take longer than the TTL

  writer_ = std::make_unique<MetaWriter>(meta_.get(), clock_);
  writer_->SetFence([lease = lease_.get()] { return lease->Check(); });
  // New work (mutating RPCs) waits for the archiving backlog too (docs/pitr.md).
  writer_->SetAdmission([this] {
    ChangelogArchiver* archiver = backlog_gate_.load();
    return archiver ? archiver->CheckBacklog(writer_->last_seq()) : Status::OK();
  });
  CAIRN_RETURN_IF_ERROR(writer_->Open());
  CAIRN_ASSIGN_OR_RETURN(std::string cluster_id,
                         EstablishClusterIdentity(writer_.get(), objects_.get(), survey, &random_));
  params_ = std::make_unique<SystemParams>(writer_.get());
  users_ = std::make_unique<Users>(writer_.get());
  auth_ = std::make_unique<Authorizer>(token, users_.get());
  backup_limiter_ = std::make_unique<RateLimiter>(clock_, kBackupRpcBurst, kBackupRpcRefillMs);
  CAIRN_RETURN_IF_ERROR(RecordBackupStorage(params_.get(), options.backup_storage));
  CAIRN_ASSIGN_OR_RETURN(ClusterOptions cluster_options, ClusterOptionsFromParams(params_.get()));
  cluster_options.clock = clock_;
  cluster_options.max_background_compactions = options.background_compactions;
  AddCloneHooks(&cluster_options);
  auto cluster = Cluster::Open(writer_.get(), objects_.get(), cluster_options);
  if (!cluster.ok()) return cluster.status().WithContext("cannot open cluster");
  cluster_ = std::move(cluster).value();
  checkpoint_interval_ms_ = cluster_options.checkpoint_interval_ms;
  max_changelog_backlog_ = options.max_changelog_backlog_records;
  CAIRN_RETURN_IF_ERROR(OpenBackups(options.backup_storage, cluster_options));
  if (backup_storage_) {
    // Reads served from backups (docs/pitr.md): a snapshot file read is rate-limited.
    BackupReaderOptions reads;
    reads.admit_snapshot_read = [limiter = backup_limiter_.get()] {
      return limiter->Acquire("Kv read from a backup");
    };
    backup_reader_ = std::make_unique<BackupReader>(backup_storage_.get(), objects_.get(),
                                                    meta_.get(), cluster_id, reads);
  }
  CAIRN_RETURN_IF_ERROR(OpenOperatorTasks());

  service_env_ = ServiceEnv{cluster_.get(),
                            writer_.get(),
                            params_.get(),
                            users_.get(),
                            &metrics_,
                            auth_.get(),
                            cluster_id,
                            meta_->DescribeForLog(),
                            objects_->DescribeForLog(),
                            backups_.get(),
                            backup_storage_.get()};
  service_env_.live = live_.get();
  service_env_.params_changed = [this] { return live_->Reload(); };
  service_env_.backup_scheduler = backup_scheduler_.get();
  service_env_.clock = clock_;
  service_env_.backup_limiter = backup_limiter_.get();
  service_env_.backup_reader = backup_reader_.get();
  service_env_.clone_layer = clone_layer_;
  CAIRN_LOG_INFO("cluster {} open: meta store {}, object store {}, auth {}", cluster_id,
                 service_env_.meta_store, service_env_.object_store, token.empty() ? "off" : "on");
  return Status::OK();
}

Status Server::OpenBackupStorageWithKeys(const ServerOptions& options) {
  std::vector<std::string> key_files = SplitKeyFileList(options.backup_key_files);
  if (options.backup_storage.empty()) {
    if (key_files.empty()) return Status::OK();
    return Status::InvalidArgument("--backup-encryption-key-file needs --backup-storage");
  }
  CAIRN_ASSIGN_OR_RETURN(auto storage, OpenBackupStorage(options.backup_storage, key_files));
  BackupStorage backups(storage.get());
  auto manifest = backups.LoadManifestOrEmpty();
  if (manifest.ok()) {
    CAIRN_RETURN_IF_ERROR(CheckBackupKeys(*manifest, storage->keys()));
  } else {  // unreachable now: backups fail until it is back, as before
    CAIRN_LOG_WARN("cannot check the backup encryption keys against {}: {}",
                   storage->DescribeForLog(), manifest.status().ToString());
  }
  if (const EncryptionKey* key = storage->keys().primary()) {
    CAIRN_LOG_INFO("backup storage {}: backups and changelog segments are encrypted with key {}",
                   storage->DescribeForLog(), key->id());
  }
  backup_storage_ = std::move(storage);
  return Status::OK();
}

// The registrations are read from backup storage (opened after the cluster) every pass.
void Server::AddCloneHooks(ClusterOptions* options) {
  options->external_pins = [this]() -> Result<std::vector<BackupPin>> {
    if (!backup_storage_) return std::vector<BackupPin>();
    CAIRN_ASSIGN_OR_RETURN(auto clones, ListCloneRegistrations(backup_storage_.get()));
    return CloneRegistrationPins(clones);
  };
  if (clone_layer_) {
    options->is_external_object = [layer = clone_layer_](uint64_t id) {
      return layer->IsExternal(id);
    };
  }
}

// Backup storage is optional: without it, backup RPCs answer with a clear error and
// the changelog is not archived but trimmed to the last pitr_retention.
Status Server::OpenBackups(const std::string& url, const ClusterOptions& cluster_options) {
  if (url.empty()) {
    trimmer_meta_ = std::make_unique<FencedMetaStore>(
        meta_.get(), [lease = lease_.get()] { return lease->Check(); });
    trimmer_ = std::make_unique<ChangelogTrimmer>(trimmer_meta_.get(), clock_,
                                                  cluster_options.pitr_retention_ms);
    return Status::OK();
  }
  backups_ =
      std::make_unique<BackupService>(writer_.get(), objects_.get(), backup_storage_.get(), clock_);
  // Pins left by a backup that crashed with the previous server go now, not at the next
  // backup (they would keep every SST that leaves the version until then).
  auto recovered = backups_->RecoverAtStart();
  if (!recovered.ok()) {
    CAIRN_LOG_WARN("backup pins: {}", recovered.status().ToString());
  } else if (recovered->pins > 0) {
    CAIRN_LOG_INFO("removed {} pin(s) of backups that did not finish", recovered->pins);
  }
  ChangelogArchiverOptions archiver_options;
  archiver_options.clock = clock_;
  archiver_options.pitr_retention_ms = cluster_options.pitr_retention_ms;
  archiver_options.max_backlog_records = max_changelog_backlog_;
  // The archiver uses the meta store directly: through the lease's fence, so that once
  // the lease is lost no pass (Stop()'s last one included) ships or trims anything.
  archiver_meta_ = std::make_unique<FencedMetaStore>(
      meta_.get(), [lease = lease_.get()] { return lease->Check(); });
  archiver_ = std::make_unique<ChangelogArchiver>(archiver_meta_.get(), backup_storage_.get(),
                                                  archiver_options);
  backlog_gate_ = archiver_.get();
  return Status::OK();
}

HealthInput Server::HealthNow() {
  HealthInput in;
  in.lease = lease_->Check();
  ClusterStats stats = cluster_->Stats();
  in.checkpoint = stats.checkpoint_failures;
  in.compaction = stats.compaction_failures;
  if (archiver_) {
    in.archiving = true;
    in.archiver = archiver_->metrics();
    in.archiver.backlog_records = archiver_->BacklogRecords(writer_->last_seq());
    in.backlog = archiver_->CheckBacklog(writer_->last_seq());
  }
  return in;
}

Status Server::OpenOperatorTasks() {
  live_ = std::make_unique<LiveParams>(params_.get());
  CAIRN_RETURN_IF_ERROR(live_->Load());
  live_->OnChange([this](const LiveValues& values) { ApplyLiveValues(values); });
  vacuum_scheduler_ = std::make_unique<VacuumScheduler>(
      cluster_.get(), clock_, [live = live_.get()] { return live->vacuum_interval_ms(); });
  if (backups_) {
    backup_scheduler_ = std::make_unique<BackupScheduler>(
        meta_.get(), backups_.get(), clock_,
        [live = live_.get()] { return live->pitr_retention_ms(); });
  }
  return Status::OK();
}

void Server::ApplyLiveValues(const LiveValues& v) {
  cluster_->SetTunables({v.checkpoint_interval_ms, v.pitr_retention_ms, v.vacuum_min_age_ms});
  if (archiver_) {
    archiver_->SetRetention(v.pitr_retention_ms);
    archiver_->SetInterval(v.checkpoint_interval_ms);
  }
  if (trimmer_) trimmer_->SetRetention(v.pitr_retention_ms);
  vacuum_scheduler_->Wake();
}

void Server::StartOperatorTasks() {
  vacuum_scheduler_->Start();
  if (backup_scheduler_) backup_scheduler_->Start();
}

// Before the archiver's last pass and the engine's close: no job starts after them.
void Server::StopOperatorTasks() {
  if (backup_scheduler_) backup_scheduler_->Stop();
  if (vacuum_scheduler_) vacuum_scheduler_->Stop();
}

// The HTTP listener is bound first (so that Status can report its address) and serves
// last, once the router is complete.
Status Server::Serve(const ServerOptions& options) {
  std::string host, http_host;
  int port = 0, http_port = 0;
  CAIRN_RETURN_IF_ERROR(ParseHostPort(options.listen, "--listen", &host, &port));
  CAIRN_RETURN_IF_ERROR(
      ParseHostPort(options.http_listen, "--http-listen", &http_host, &http_port));
  CAIRN_ASSIGN_OR_RETURN(HttpServerOptions http_options, HttpListenerOptions(options));
  http_ = std::make_unique<HttpServer>(
      [this](const HttpRequest& request) { return router_.Route(request); }, http_options);
  CAIRN_ASSIGN_OR_RETURN(http_port, http_->Bind(http_host, http_port));
  std::string http_address = http_host + ":" + std::to_string(http_port);

  service_env_.http_address = http_address;
  services_ = MakeServices(service_env_);
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  CAIRN_ASSIGN_OR_RETURN(auto credentials, GrpcServerCredentials(options));
  builder.AddListeningPort(options.listen, credentials, &grpc_port);
  if (options.tls_cert_file.empty() && !IsLoopbackHost(host)) {
    CAIRN_LOG_WARN(
        "listening on {} without TLS: tokens, passwords and data cross the network in the "
        "clear (pass --tls-cert and --tls-key)",
        options.listen);
  }
  // Without this gRPC sets SO_REUSEPORT, and a second server on a busy port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  // Bounded resources (docs/server.md, "Resources"): a call that finds every RPC thread
  // busy fails with RESOURCE_EXHAUSTED; keepalive finds dead clients; idle connections
  // close; a connection (with a scan stream its client stopped reading, which holds a
  // thread and a version) is closed at most kMaxConnectionAge + grace after it opened.
  grpc::ResourceQuota quota("cairn-server");
  quota.SetMaxThreads(kMaxRpcThreads);
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 10 * 60'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, kMaxConnectionAgeMs);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, kMaxConnectionAgeGraceMs);
  for (auto& service : services_) builder.RegisterService(service.get());
  grpc_ = builder.BuildAndStart();
  if (!grpc_ || grpc_port == 0) {
    return Status::IOError("cannot listen on " + options.listen + " (address in use?)");
  }
  AddHttpRoutes(host + ":" + std::to_string(grpc_port), http_address);
  http_->Serve();

  if (archiver_) archiver_->Start(checkpoint_interval_ms_);
  if (trimmer_) trimmer_->Start(checkpoint_interval_ms_);
  StartOperatorTasks();
  std::string scheme = options.tls_cert_file.empty() ? "http://" : "https://";
  std::cout << "listening on " << host << ":" << grpc_port << "\n"
            << "metrics on " << scheme << http_address << "/metrics\n"
            << "console on " << scheme << http_address << "/" << std::endl;
  CAIRN_LOG_INFO("serving gRPC on {}:{}, HTTP on {}", host, grpc_port, http_address);
  return Status::OK();
}

void Server::DrainRpcs() {
  if (!grpc_) return;
  std::mutex mu;
  std::condition_variable cv;
  bool drained = false;
  std::thread closer([&] {
    std::unique_lock lock(mu);
    if (cv.wait_for(lock, shutdown_grace_, [&] { return drained; }) || !cluster_) return;
    CAIRN_LOG_WARN(
        "RPCs still running {} ms after the shutdown began: failing the writes "
        "that wait for a checkpoint",
        shutdown_grace_.count());
    lock.unlock();
    (void)cluster_->Close();
  });
  // A second later gRPC cancels what is left (a stalled stream): the failed writes'
  // errors reach their clients first.
  grpc_->Shutdown(std::chrono::system_clock::now() + shutdown_grace_ + kCancelAfterClose);
  {
    std::lock_guard lock(mu);
    drained = true;
  }
  cv.notify_all();
  closer.join();
}

void Server::AddHttpRoutes(const std::string& grpc_address, const std::string& http_address) {
  router_.Add("GET", "/healthz", [this](const HttpRequest&) {
    Health health = ComputeHealth(HealthNow(), clock_->NowMillis());
    return HttpResponse{health.http_status, "text/plain; charset=utf-8", health.body, {}};
  });
  router_.Add(
      "GET", "/metrics",
      http_auth_->Guard(
          [this](const HttpRequest&) {
            return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", MetricsText(), {}};
          },
          false));
  ApiEnv api{cluster_.get(),
             writer_.get(),
             params_.get(),
             backups_.get(),
             backup_storage_.get(),
             archiver_.get(),
             &api_activity_,
             clock_,
             service_env_.cluster_id,
             service_env_.meta_store,
             service_env_.object_store,
             grpc_address,
             http_address,
             http_auth_->enabled(),
             live_.get(),
             backup_scheduler_.get()};
  AddApiRoutes(api, *http_auth_, &router_);
}

std::string Server::MetricsText() {
  std::string text = metrics_.Render(cluster_->Stats(), writer_->last_seq());
  if (backups_) {
    ArchiverMetrics archiver = archiver_->metrics();
    archiver.backlog_records = archiver_->BacklogRecords(writer_->last_seq());
    archiver.max_backlog_records = max_changelog_backlog_;
    text += RenderBackupMetrics(backups_->metrics(), archiver);
  }
  text += RenderSchedulerMetrics(
      backup_scheduler_ ? backup_scheduler_->state() : BackupSchedulerState{},
      vacuum_scheduler_->stats(), live_->values());
  return text;
}

void Server::Shutdown() {
  // A lost lease: another writer owns the stores. Close the engine first, so that RPCs
  // waiting for a commit that can no longer happen fail now instead of holding up gRPC.
  if (lease_ && lease_->lost() && cluster_) (void)cluster_->Close();
  DrainRpcs();
  if (http_) http_->Stop();
  StopOperatorTasks();
  // After the in-flight RPCs: the archiver's last pass ships every committed record
  // (with a lost lease it stops at the fence: a fenced writer ships nothing).
  if (archiver_) archiver_->Stop();
  if (trimmer_) trimmer_->Stop();
  if (cluster_) {
    Status s = cluster_->Close();
    if (!s.ok()) CAIRN_LOG_ERROR("closing the cluster: {}", s.ToString());
  }
  if (lease_) {
    Status s = lease_->Release();
    if (!s.ok()) CAIRN_LOG_ERROR("releasing the writer lease: {}", s.ToString());
  }
}

Status Server::Run(const ServerOptions& options) {
  shutdown_grace_ = std::chrono::milliseconds(options.shutdown_grace_ms);
  ShutdownSignals signals(shutdown_grace_ + kShutdownCloseBound);
  signals.Start();  // first: every thread started later inherits the blocked signals
  signal(SIGPIPE, SIG_IGN);
  ProtectSecretsFromCoreDumps(options.allow_core_dumps);

  Status status = Open(options);
  if (status.ok()) status = Serve(options);
  if (status.ok()) {
    signals.Serving();
    int sig = signals.WaitForShutdown();
    CAIRN_LOG_INFO("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  } else {
    signals.BeginShutdown();
  }
  Shutdown();
  signals.Done();
  if (status.ok() && lease_ && lease_->lost()) status = lease_->Check();
  if (status.ok()) CAIRN_LOG_INFO("stopped");
  return status;
}

}  // namespace

Status RunServer(const ServerOptions& flags, const std::string& config_file) {
  // Every file and directory the server creates (meta store, SSTs, backups, temp
  // files) is private to its user, whatever umask it was started with.
  umask(077);
  CAIRN_ASSIGN_OR_RETURN(ServerOptions options, LoadOptions(flags, config_file));
  InitLogging(options.log_level);
  Server server;
  return server.Run(options);
}

}  // namespace cairn::server
