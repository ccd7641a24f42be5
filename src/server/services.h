// The gRPC services of proto/cairn.proto, implemented over Cluster, SystemParams and
// Users. Every handler checks the caller's privilege (the table in docs/server.md) and
// counts itself in Metrics.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <memory>
#include <string>
#include <vector>

#include "backup/backup_reader.h"
#include "backup/backup_service.h"
#include "meta/params.h"
#include "meta/users.h"
#include "server/auth.h"
#include "server/backup_scheduler.h"
#include "server/live_params.h"
#include "server/metrics.h"
#include "server/rate_limiter.h"
#include "storage/clone_object_store.h"
#include "storage/cluster.h"

namespace cairn::server {

struct ServiceEnv {
  Cluster* cluster = nullptr;
  MetaWriter* writer = nullptr;
  SystemParams* params = nullptr;
  Users* users = nullptr;
  Metrics* metrics = nullptr;
  const Authorizer* auth = nullptr;
  std::string cluster_id;
  std::string meta_store;                 // redacted
  std::string object_store;               // redacted
  BackupService* backups = nullptr;       // null when no backup storage is configured
  ObjectStore* backup_storage = nullptr;  // for the PITR recoverable range
  // The params in force (checkpoint_interval, pitr_retention clamp the recoverable
  // ranges `backup list` shows); `params_changed` applies a `param set` at once.
  const LiveParams* live = nullptr;
  std::function<Status()> params_changed;
  BackupScheduler* backup_scheduler = nullptr;  // null when backups is
  Clock* clock = nullptr;                       // stamps the schedule's set time
  std::string http_address;                     // the HTTP listener's HOST:PORT, for Status
  RateLimiter* backup_limiter = nullptr;        // expensive backup RPCs; null = unlimited
  BackupReader* backup_reader = nullptr;        // reads served from backups; null = none
  CloneObjectStore* clone_layer = nullptr;      // a clone's layered object store, else null
};

std::vector<std::unique_ptr<grpc::Service>> MakeServices(const ServiceEnv& env);

// Status -> grpc::Status with the message alone (clients print it after "error: ").
grpc::Status ToGrpc(const Status& status);

}  // namespace cairn::server
