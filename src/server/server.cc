#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <random>

#include "backup/backup_service.h"
#include "backup/changelog_archive.h"
#include "common/logging.h"
#include "meta/params.h"
#include "meta/users.h"
#include "meta/writer_lease.h"
#include "meta_store/lazy_meta_store.h"
#include "server/http_server.h"
#include "server/services.h"
#include "server/tls.h"
#include "server/token_file.h"
#include "storage/cluster_guard.h"

namespace cairn::server {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(30);
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
// WaitForShutdownSignal, and Run returns the lease's error.
void ShutDownOnLostLease(const Status& lost) {
  CAIRN_LOG_ERROR("shutting down: {}", lost.message());
  kill(getpid(), SIGTERM);
}

// Serves until SIGTERM/SIGINT. The signals are blocked in every thread (they inherit
// the mask), so sigwait here is the only place they are seen.
int WaitForShutdownSignal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

class Server {
 public:
  Status Run(const ServerOptions& options);

 private:
  Status Open(const ServerOptions& options);
  Status OpenBackups(const std::string& url, const ClusterOptions& cluster_options);
  Status Serve(const ServerOptions& options);
  void Shutdown();

  SystemClock* clock_ = SystemClock::Default();
  Random random_{std::random_device{}() ^
                 static_cast<uint64_t>(SystemClock::Default()->NowMillis())};
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<WriterLease> lease_;
  std::unique_ptr<MetaWriter> writer_;
  std::unique_ptr<SystemParams> params_;
  std::unique_ptr<Users> users_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<ObjectStore> backup_storage_;
  std::unique_ptr<BackupService> backups_;
  std::unique_ptr<FencedMetaStore> archiver_meta_;
  std::unique_ptr<ChangelogArchiver> archiver_;
  int64_t checkpoint_interval_ms_ = 1000;
  std::unique_ptr<Authorizer> auth_;
  std::unique_ptr<RateLimiter> backup_limiter_;
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
  // Created at the first write: a refused start leaves no new file behind.
  auto meta = OpenMetaStoreLazily(options.meta_store);
  if (!meta.ok()) return meta.status().WithContext("cannot open meta store");
  meta_ = std::move(meta).value();
  auto objects = OpenObjectStore(options.object_store);
  if (!objects.ok()) return objects.status().WithContext("cannot open object store");
  objects_ = std::move(objects).value();
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
  auto cluster = Cluster::Open(writer_.get(), objects_.get(), cluster_options);
  if (!cluster.ok()) return cluster.status().WithContext("cannot open cluster");
  cluster_ = std::move(cluster).value();
  checkpoint_interval_ms_ = cluster_options.checkpoint_interval_ms;
  CAIRN_RETURN_IF_ERROR(OpenBackups(options.backup_storage, cluster_options));

  ServiceEnv env{cluster_.get(),
                 writer_.get(),
                 params_.get(),
                 users_.get(),
                 &metrics_,
                 auth_.get(),
                 cluster_id,
                 meta_->DescribeForLog(),
                 objects_->DescribeForLog(),
                 backups_.get(),
                 backup_storage_.get(),
                 cluster_options.checkpoint_interval_ms,
                 cluster_options.pitr_retention_ms,
                 backup_limiter_.get()};
  services_ = MakeServices(env);
  CAIRN_LOG_INFO("cluster {} open: meta store {}, object store {}, auth {}", cluster_id,
                 env.meta_store, env.object_store, token.empty() ? "off" : "on");
  return Status::OK();
}

// Backup storage is optional: without it, backup RPCs answer with a clear error and
// the changelog is not archived.
Status Server::OpenBackups(const std::string& url, const ClusterOptions& cluster_options) {
  if (url.empty()) return Status::OK();
  auto storage = OpenObjectStore(url);
  if (!storage.ok()) return storage.status().WithContext("cannot open backup storage");
  backup_storage_ = std::move(storage).value();
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
  // The archiver uses the meta store directly: through the lease's fence, so that once
  // the lease is lost no pass (Stop()'s last one included) ships or trims anything.
  archiver_meta_ = std::make_unique<FencedMetaStore>(
      meta_.get(), [lease = lease_.get()] { return lease->Check(); });
  archiver_ = std::make_unique<ChangelogArchiver>(archiver_meta_.get(), backup_storage_.get(),
                                                  archiver_options);
  return Status::OK();
}

Status Server::Serve(const ServerOptions& options) {
  std::string host;
  int port = 0;
  CAIRN_RETURN_IF_ERROR(ParseHostPort(options.listen, "--listen", &host, &port));
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
  for (auto& service : services_) builder.RegisterService(service.get());
  grpc_ = builder.BuildAndStart();
  if (!grpc_ || grpc_port == 0) {
    return Status::IOError("cannot listen on " + options.listen + " (address in use?)");
  }

  std::string http_host;
  int http_port = 0;
  CAIRN_RETURN_IF_ERROR(
      ParseHostPort(options.http_listen, "--http-listen", &http_host, &http_port));
  http_ = std::make_unique<HttpServer>([this](const std::string& path) {
    if (path == "/healthz") return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/metrics") {
      std::string text = metrics_.Render(cluster_->Stats(), writer_->last_seq());
      if (backups_) text += RenderBackupMetrics(backups_->metrics(), archiver_->metrics());
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", text};
    }
    return HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
  });
  CAIRN_ASSIGN_OR_RETURN(http_port, http_->Start(http_host, http_port));

  if (archiver_) archiver_->Start(checkpoint_interval_ms_);
  std::cout << "listening on " << host << ":" << grpc_port << "\n"
            << "metrics on http://" << http_host << ":" << http_port << "/metrics" << std::endl;
  CAIRN_LOG_INFO("serving gRPC on {}:{}, HTTP on {}:{}", host, grpc_port, http_host, http_port);
  return Status::OK();
}

void Server::Shutdown() {
  // A lost lease: another writer owns the stores. Close the engine first, so that RPCs
  // waiting for a commit that can no longer happen fail now instead of holding up gRPC.
  if (lease_ && lease_->lost() && cluster_) (void)cluster_->Close();
  if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  if (http_) http_->Stop();
  // After the in-flight RPCs: the archiver's last pass ships every committed record
  // (with a lost lease it stops at the fence: a fenced writer ships nothing).
  if (archiver_) archiver_->Stop();
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
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  ProtectSecretsFromCoreDumps(options.allow_core_dumps);

  Status status = Open(options);
  if (status.ok()) status = Serve(options);
  if (status.ok()) {
    int sig = WaitForShutdownSignal(signals);
    CAIRN_LOG_INFO("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  Shutdown();
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
