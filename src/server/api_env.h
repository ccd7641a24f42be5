// What the JSON API (/api/v1, docs/api.md) reads and acts on: the running server's
// engine, backups and archiver. Pointers are owned by the server and outlive the
// HTTP listener; `backups`, `backup_storage`, `archiver` and `scheduler` are null
// without backup storage.
#pragma once

#include <cstdint>
#include <string>

#include "backup/backup_service.h"
#include "backup/changelog_archive.h"
#include "meta/meta_writer.h"
#include "meta/params.h"
#include "server/api_activity.h"
#include "server/backup_scheduler.h"
#include "server/live_params.h"
#include "storage/cluster.h"

namespace cairn::server {

struct ApiEnv {
  Cluster* cluster = nullptr;
  MetaWriter* writer = nullptr;
  SystemParams* params = nullptr;
  BackupService* backups = nullptr;
  ObjectStore* backup_storage = nullptr;
  ChangelogArchiver* archiver = nullptr;
  ApiActivity* activity = nullptr;  // results of the API's verify and vacuum actions
  Clock* clock = nullptr;
  std::string cluster_id;
  std::string meta_store;                // redacted
  std::string object_store;              // redacted
  std::string grpc_address;              // HOST:PORT as bound
  std::string http_address;              // HOST:PORT as bound
  bool auth = false;                     // the admin token is required
  const LiveParams* live = nullptr;      // checkpoint_interval, pitr_retention in force
  BackupScheduler* scheduler = nullptr;  // the backup schedule's runs
};

}  // namespace cairn::server
