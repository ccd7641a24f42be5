#include "server/services.h"

#include <chrono>
#include <memory>

#include "backup/clone_detach.h"
#include "backup/pitr_restore.h"
#include "backup/schedule_store.h"
#include "cairn.grpc.pb.h"
#include "common/logging.h"
#include "meta/time_spec.h"
#include "server/backup_reads.h"
#include "server/clone_status.h"

namespace cairn::server {
namespace {

constexpr size_t kScanChunkRows = 1000;
constexpr size_t kScanChunkBytes = 1 << 20;

// Whether the client cancelled the call or its deadline passed (then nobody waits for
// the answer any more).
bool CallGone(const grpc::ServerContext& ctx) {
  return ctx.IsCancelled() || ctx.deadline() < std::chrono::system_clock::now();
}

// What an RPC needs (docs/server.md, "Auth"): the privilege, whether it mutates (then
// the writer lease must still be held), whether it is rate-limited (expensive reads of
// the backup storage).
struct Access {
  Privilege need;
  bool mutates;
  bool limited;
};
constexpr Access kRead{Privilege::kRead, false, false};
constexpr Access kWrite{Privilege::kWrite, true, false};
constexpr Access kAdmin{Privilege::kAdmin, true, false};
constexpr Access kAdminRead{Privilege::kAdmin, false, false};
constexpr Access kAdminLimited{Privilege::kAdmin, true, true};
constexpr Access kAdminReadLimited{Privilege::kAdmin, false, true};

// Runs one RPC: authorization, the fence for mutations, the rate limit, the body,
// metrics.
template <typename Fn>
grpc::Status Handle(const ServiceEnv& env, const char* method, Access access,
                    const grpc::ServerContext& context, Fn&& body) {
  grpc::Status result = env.auth->Check(context, access.need, method);
  // A server that lost its writer lease says so at once instead of failing mid-commit.
  if (result.ok() && access.mutates) result = ToGrpc(env.writer->CheckFence());
  if (result.ok() && access.limited && env.backup_limiter != nullptr) {
    result = ToGrpc(env.backup_limiter->Acquire(method));
  }
  if (result.ok()) result = ToGrpc(body());
  env.metrics->RecordRpc(method, result.ok());
  if (!result.ok()) CAIRN_LOG_DEBUG("{} failed: {}", method, result.error_message());
  return result;
}

Result<uint32_t> LiveTableId(Cluster* cluster, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(TableInfo table, cluster->GetTable(name));
  return table.id;
}

void ToProto(const TableInfo& t, rpc::Table* out) {
  out->set_id(t.id);
  out->set_name(t.name);
  out->set_created_epoch(t.created_epoch);
}

class TablesService final : public rpc::Tables::Service {
 public:
  explicit TablesService(const ServiceEnv& env) : env_(env) {}

  grpc::Status Create(grpc::ServerContext* ctx, const rpc::CreateTableRequest* req,
                      rpc::CreateTableResponse* resp) override {
    return Handle(env_, "Tables.Create", kWrite, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(TableInfo table, env_.cluster->CreateTable(req->name()));
      ToProto(table, resp->mutable_table());
      return Status::OK();
    });
  }
  grpc::Status Drop(grpc::ServerContext* ctx, const rpc::DropTableRequest* req,
                    rpc::DropTableResponse*) override {
    return Handle(env_, "Tables.Drop", kWrite, *ctx,
                  [&] { return env_.cluster->DropTable(req->name()); });
  }
  grpc::Status List(grpc::ServerContext* ctx, const rpc::ListTablesRequest* req,
                    rpc::ListTablesResponse* resp) override {
    return Handle(env_, "Tables.List", kRead, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto tables, env_.cluster->ListTables({req->as_of_epoch()}));
      for (const TableInfo& t : tables) ToProto(t, resp->add_tables());
      return Status::OK();
    });
  }

 private:
  const ServiceEnv env_;
};

class KvService final : public rpc::Kv::Service {
 public:
  explicit KvService(const ServiceEnv& env) : env_(env) {}

  grpc::Status Put(grpc::ServerContext* ctx, const rpc::PutRequest* req,
                   rpc::PutResponse* resp) override {
    return Handle(env_, "Kv.Put", kWrite, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(uint32_t id, LiveTableId(env_.cluster, req->table()));
      WriteBatch batch;
      batch.Put(id, req->key(), req->value());
      CAIRN_ASSIGN_OR_RETURN(uint64_t epoch, env_.cluster->Write(batch, /*wait=*/true));
      resp->set_epoch(epoch);
      return Status::OK();
    });
  }
  grpc::Status Get(grpc::ServerContext* ctx, const rpc::GetRequest* req,
                   rpc::GetResponse* resp) override {
    return Handle(env_, "Kv.Get", kRead, *ctx, [&]() -> Status {
      for (int attempt = 0;; ++attempt) {
        CAIRN_ASSIGN_OR_RETURN(auto served, BackupForRead(env_.cluster, env_.backup_reader,
                                                          req->backup_id(), req->as_of_epoch()));
        if (served) return GetFromBackup(*served, *req, resp);
        CAIRN_ASSIGN_OR_RETURN(uint32_t id, TableId(req->table(), req->as_of_epoch()));
        auto value = env_.cluster->Get(id, req->key(), {req->as_of_epoch()});
        if (WindowMayHaveMoved(attempt, value.status(), req->as_of_epoch())) continue;
        CAIRN_RETURN_IF_ERROR(value.status());
        resp->set_found(value->has_value());
        if (*value) resp->set_value(std::move(**value));
        return Status::OK();
      }
    });
  }
  grpc::Status Delete(grpc::ServerContext* ctx, const rpc::DeleteRequest* req,
                      rpc::DeleteResponse* resp) override {
    return Handle(env_, "Kv.Delete", kWrite, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(uint32_t id, LiveTableId(env_.cluster, req->table()));
      WriteBatch batch;
      batch.Delete(id, req->key());
      CAIRN_ASSIGN_OR_RETURN(uint64_t epoch, env_.cluster->Write(batch, /*wait=*/true));
      resp->set_epoch(epoch);
      return Status::OK();
    });
  }
  grpc::Status Scan(grpc::ServerContext* ctx, const rpc::ScanRequest* req,
                    grpc::ServerWriter<rpc::ScanResponse>* writer) override {
    return Handle(env_, "Kv.Scan", kRead, *ctx, [&]() -> Status {
      rpc::ScanResponse chunk;
      CAIRN_ASSIGN_OR_RETURN(auto it, OpenScan(*ctx, *req, &chunk));
      size_t chunk_bytes = 0;
      uint64_t sent = 0;
      for (; it->Valid() && (req->limit() == 0 || sent < req->limit()); it->Next(), ++sent) {
        auto* row = chunk.add_rows();
        row->set_key(std::string(it->key()));
        row->set_value(std::string(it->value()));
        chunk_bytes += it->key().size() + it->value().size();
        if (chunk.rows_size() >= static_cast<int>(kScanChunkRows) ||
            chunk_bytes >= kScanChunkBytes) {
          if (!writer->Write(chunk)) return Status::Aborted("scan cancelled by the client");
          chunk.Clear();
          chunk_bytes = 0;
        }
      }
      CAIRN_RETURN_IF_ERROR(it->status());
      // A read served from a backup says so even when it has no rows.
      if ((chunk.rows_size() > 0 || chunk.has_backup()) && !writer->Write(chunk)) {
        return Status::Aborted("scan cancelled by the client");
      }
      return Status::OK();
    });
  }
  grpc::Status Write(grpc::ServerContext* ctx, const rpc::WriteRequest* req,
                     rpc::WriteResponse* resp) override {
    return Handle(env_, "Kv.Write", kWrite, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(uint32_t id, LiveTableId(env_.cluster, req->table()));
      WriteBatch batch;
      for (const auto& row : req->puts()) batch.Put(id, row.key(), row.value());
      CAIRN_ASSIGN_OR_RETURN(uint64_t epoch, env_.cluster->Write(batch, req->wait()));
      resp->set_epoch(epoch);
      return Status::OK();
    });
  }

 private:
  // Time-travel reads resolve the table as of that epoch (it may be dropped since).
  Result<uint32_t> TableId(const std::string& name, uint64_t as_of_epoch) {
    CAIRN_ASSIGN_OR_RETURN(TableInfo table, env_.cluster->GetTable(name, {as_of_epoch}));
    return table.id;
  }

  // --- reads served from backups (docs/pitr.md, "Reads served from backups") ---
  static Status GetFromBackup(const ServedBackup& served, const rpc::GetRequest& req,
                              rpc::GetResponse* resp) {
    CAIRN_ASSIGN_OR_RETURN(uint32_t id, BackupTableId(served, req.table()));
    CAIRN_ASSIGN_OR_RETURN(auto value, served.view->Get(id, req.key()));
    resp->set_found(value.has_value());
    if (value) resp->set_value(std::move(*value));
    SetBackupSource(served, resp->mutable_backup());
    return Status::OK();
  }
  // The scan from a backup or from the cluster; a backup is named in *first.
  // A scan over many tombstones may run long between rows: a live scan polls the call.
  Result<std::unique_ptr<ScanIterator>> OpenScan(grpc::ServerContext& ctx,
                                                 const rpc::ScanRequest& req,
                                                 rpc::ScanResponse* first) {
    for (int attempt = 0;; ++attempt) {
      CAIRN_ASSIGN_OR_RETURN(auto served, BackupForRead(env_.cluster, env_.backup_reader,
                                                        req.backup_id(), req.as_of_epoch()));
      if (served) {
        CAIRN_ASSIGN_OR_RETURN(uint32_t id, BackupTableId(*served, req.table()));
        SetBackupSource(*served, first->mutable_backup());
        return served->view->Scan(id, req.from(), req.to());
      }
      CAIRN_ASSIGN_OR_RETURN(uint32_t id, TableId(req.table(), req.as_of_epoch()));
      ReadOptions read(req.as_of_epoch());
      read.cancelled = [&ctx] { return CallGone(ctx); };
      auto it = env_.cluster->Scan(id, req.from(), req.to(), read);
      if (!WindowMayHaveMoved(attempt, it.status(), req.as_of_epoch())) return it;
    }
  }
  // The retention window may have moved past an as-of epoch between BackupForRead and
  // the cluster's refusal: then one more attempt, which a backup serves.
  static bool WindowMayHaveMoved(int attempt, const Status& read, uint64_t as_of_epoch) {
    return attempt == 0 && as_of_epoch != 0 && read.code() == ErrorCode::kInvalidArgument;
  }

  const ServiceEnv env_;
};

void FillCloneStatus(const CloneStatus& status, rpc::StatusResponse* resp) {
  for (const auto& c : status.clones) {
    auto* info = resp->add_clones();
    info->set_clone_id(c.clone_id);
    info->set_epoch(c.epoch);
    info->set_max_object_id(c.max_object_id);
    info->set_created_ms(c.created_ms);
    info->set_meta_store(c.meta_store);
    info->set_object_store(c.object_store);
    info->set_from(c.from);
  }
  resp->set_clones_error(status.clones_error);
  resp->set_clone_of(CloneOf(status));
  resp->set_clone_detached(status.base && status.base->detached);
}

class AdminService final : public rpc::Admin::Service {
 public:
  explicit AdminService(const ServiceEnv& env) : env_(env) {}

  grpc::Status Flush(grpc::ServerContext* ctx, const rpc::FlushRequest*,
                     rpc::FlushResponse* resp) override {
    return Handle(env_, "Admin.Flush", kWrite, *ctx, [&]() -> cairn::Status {
      CAIRN_ASSIGN_OR_RETURN(uint64_t epoch, env_.cluster->Flush());
      resp->set_committed_epoch(epoch);
      return cairn::Status::OK();
    });
  }
  grpc::Status Compact(grpc::ServerContext* ctx, const rpc::CompactRequest*,
                       rpc::CompactResponse*) override {
    return Handle(env_, "Admin.Compact", kAdmin, *ctx, [&] { return env_.cluster->Compact(); });
  }
  grpc::Status Vacuum(grpc::ServerContext* ctx, const rpc::VacuumRequest* req,
                      rpc::VacuumResponse* resp) override {
    return Handle(env_, "Admin.Vacuum", kAdmin, *ctx, [&]() -> cairn::Status {
      VacuumOptions options;
      options.full = req->full();
      options.dry_run = req->dry_run();
      CAIRN_ASSIGN_OR_RETURN(VacuumReport report, env_.cluster->Vacuum(options));
      resp->set_stale_candidates(report.stale_candidates);
      resp->set_deleted(report.deleted);
      resp->set_deleted_bytes(report.deleted_bytes);
      resp->set_kept_by_gate(report.kept_by_gate);
      resp->set_orphans(report.orphans);
      return cairn::Status::OK();
    });
  }
  grpc::Status Status(grpc::ServerContext* ctx, const rpc::StatusRequest*,
                      rpc::StatusResponse* resp) override {
    return Handle(env_, "Admin.Status", kRead, *ctx, [&]() -> cairn::Status {
      ClusterStats stats = env_.cluster->Stats();
      resp->set_version("cairn 0.1.0");
      resp->set_cluster_id(env_.cluster_id);
      resp->set_meta_store(env_.meta_store);
      resp->set_object_store(env_.object_store);
      resp->set_version_id(stats.version_id);
      resp->set_committed_epoch(stats.committed_epoch);
      resp->set_changelog_seq(env_.writer->last_seq());
      resp->set_http_address(env_.http_address);
      resp->set_checkpoints(stats.checkpoints);
      resp->set_last_checkpoint_ms(stats.last_checkpoint_ms);
      resp->set_compactions(stats.compactions);
      resp->set_vacuum_deleted(stats.vacuum_deleted);
      for (const LevelStats& l : stats.levels) {
        auto* level = resp->add_levels();
        level->set_level(l.level);
        level->set_sst_count(l.sst_count);
        level->set_bytes(l.bytes);
      }
      FillCloneStatus(ReadCloneStatus(env_.writer->store(), env_.backup_storage), resp);
      return cairn::Status::OK();
    });
  }
  grpc::Status DetachClone(grpc::ServerContext* ctx, const rpc::DetachCloneRequest*,
                           grpc::ServerWriter<rpc::DetachCloneProgress>* out) override {
    return Handle(env_, "Admin.DetachClone", kAdmin, *ctx, [&]() -> cairn::Status {
      auto send = [&](const DetachProgress& p, bool done, uint64_t removed) {
        rpc::DetachCloneProgress msg;
        msg.set_total(p.total);
        msg.set_copied(p.copied);
        msg.set_bytes(p.bytes);
        msg.set_line(p.line);
        msg.set_done(done);
        msg.set_registrations_removed(removed);
        out->Write(msg);
      };
      DetachProgress last;
      CAIRN_ASSIGN_OR_RETURN(DetachReport report,
                             cairn::DetachClone(env_.writer, env_.clone_layer, env_.clock,
                                                [&](const DetachProgress& p) {
                                                  last = p;
                                                  send(p, false, 0);
                                                }));
      CAIRN_LOG_INFO("clone {} detached: {} SSTs ({} bytes) copied", report.clone_id, report.ssts,
                     report.bytes);
      last.line = "clone " + report.clone_id + " detached";
      send(last, true, report.registrations_removed);
      return cairn::Status::OK();
    });
  }

 private:
  const ServiceEnv env_;
};

void ToProto(const ParamValue& p, rpc::Param* out) {
  out->set_name(p.name);
  out->set_value(p.value);
  out->set_is_default(p.is_default);
}

class ParamsService final : public rpc::Params::Service {
 public:
  explicit ParamsService(const ServiceEnv& env) : env_(env) {}

  grpc::Status Get(grpc::ServerContext* ctx, const rpc::GetParamRequest* req,
                   rpc::GetParamResponse* resp) override {
    return Handle(env_, "Params.Get", kRead, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(ParamValue value, env_.params->Get(req->name()));
      ToProto(value, resp->mutable_param());
      return Status::OK();
    });
  }
  grpc::Status Set(grpc::ServerContext* ctx, const rpc::SetParamRequest* req,
                   rpc::SetParamResponse*) override {
    return Handle(env_, "Params.Set", kAdmin, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(env_.params->Set(req->name(), req->value()));
      CAIRN_LOG_INFO("param {} set to '{}'", req->name(), req->value());
      return env_.params_changed ? env_.params_changed() : Status::OK();
    });
  }
  grpc::Status List(grpc::ServerContext* ctx, const rpc::ListParamsRequest*,
                    rpc::ListParamsResponse* resp) override {
    return Handle(env_, "Params.List", kRead, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto values, env_.params->List());
      for (const ParamValue& v : values) ToProto(v, resp->add_params());
      return Status::OK();
    });
  }

 private:
  const ServiceEnv env_;
};

class UsersService final : public rpc::Users::Service {
 public:
  explicit UsersService(const ServiceEnv& env) : env_(env) {}

  grpc::Status Create(grpc::ServerContext* ctx, const rpc::CreateUserRequest* req,
                      rpc::CreateUserResponse*) override {
    return Handle(env_, "Users.Create", kAdmin, *ctx,
                  [&] { return env_.users->Create(req->name(), req->password()); });
  }
  grpc::Status Grant(grpc::ServerContext* ctx, const rpc::GrantUserRequest* req,
                     rpc::GrantUserResponse*) override {
    return Handle(env_, "Users.Grant", kAdmin, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(Privilege privilege, ParsePrivilege(req->privilege()));
      return env_.users->Grant(req->name(), privilege);
    });
  }
  grpc::Status Drop(grpc::ServerContext* ctx, const rpc::DropUserRequest* req,
                    rpc::DropUserResponse*) override {
    return Handle(env_, "Users.Drop", kAdmin, *ctx, [&] { return env_.users->Drop(req->name()); });
  }
  grpc::Status List(grpc::ServerContext* ctx, const rpc::ListUsersRequest*,
                    rpc::ListUsersResponse* resp) override {
    return Handle(env_, "Users.List", kAdminRead, *ctx, [&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto users, env_.users->List());
      for (const UserInfo& u : users) {
        auto* out = resp->add_users();
        out->set_name(u.name);
        out->set_created_ms(u.created_ms);
        for (const auto& p : u.privileges) out->add_privileges(p);
      }
      return Status::OK();
    });
  }

 private:
  const ServiceEnv env_;
};

}  // namespace

grpc::Status ToGrpc(const Status& status) {
  using grpc::StatusCode;
  StatusCode code = StatusCode::INTERNAL;
  switch (status.code()) {
    case ErrorCode::kOk:
      return grpc::Status::OK;
    case ErrorCode::kNotFound:
      code = StatusCode::NOT_FOUND;
      break;
    case ErrorCode::kAlreadyExists:
      code = StatusCode::ALREADY_EXISTS;
      break;
    case ErrorCode::kInvalidArgument:
      code = StatusCode::INVALID_ARGUMENT;
      break;
    case ErrorCode::kPermissionDenied:
      code = StatusCode::PERMISSION_DENIED;
      break;
    case ErrorCode::kBusy:
    case ErrorCode::kFailedPrecondition:
      code = StatusCode::FAILED_PRECONDITION;
      break;
    case ErrorCode::kConflict:
    case ErrorCode::kAborted:
      code = StatusCode::ABORTED;
      break;
    case ErrorCode::kCorruption:
      code = StatusCode::DATA_LOSS;
      break;
    case ErrorCode::kNotSupported:
      code = StatusCode::UNIMPLEMENTED;
      break;
    case ErrorCode::kIOError:
    case ErrorCode::kUnavailable:
      // Not UNAVAILABLE: clients read that as "server unreachable", and here the
      // server answered; one of its stores failed.
      code = StatusCode::INTERNAL;
      break;
  }
  return {code, status.message()};
}

namespace {

void ToProto(const SnapshotEntry& e, rpc::Backup* out) {
  out->set_id(e.id);
  out->set_created_ms(e.created_ms);
  out->set_epoch(e.epoch);
  out->set_version_id(e.version_id);
  out->set_meta_revision(e.meta_revision);
  out->set_changelog_seq(e.changelog_seq);
  out->set_sst_count(e.sst_count);
  out->set_sst_bytes(e.sst_bytes);
  out->set_file(e.file);
  out->set_file_size(e.file_size);
  out->set_checksum(e.checksum);
  out->set_format_version(e.format_version);
  out->set_remarks(e.remarks);
  out->set_cluster_id(e.cluster_id);
  out->set_max_object_id(e.max_object_id);
  out->set_timeline(e.timeline);
  out->set_self_contained(e.self_contained());
  out->set_copy_bytes(e.copy.bytes);
  out->set_added_ssts(e.copy.added_ssts);
  out->set_added_bytes(e.copy.added_bytes);
}

void ToProto(const TimelineRange& t, rpc::TimelineInfo* out) {
  out->set_timeline(t.timeline);
  out->set_parent(t.parent);
  out->set_branch_seq(t.branch_seq);
  out->set_branch_ms(t.branch_ms);
  out->set_restore(t.restore);
  out->set_recoverable(!t.range.empty);
  out->set_clamped_by_retention(t.range.clamped_by_retention);
  if (t.range.empty) return;
  out->set_recoverable_from(FormatRfc3339Millis(t.range.from_ms));
  out->set_recoverable_to(FormatRfc3339Millis(t.range.to_ms));
  out->set_recoverable_from_epoch(t.range.from_epoch);
  out->set_recoverable_to_epoch(t.range.to_epoch);
}

// --- backup schedule conversions (ops, issue 15) ---
BackupSchedule FromProto(const rpc::BackupSchedule& p) {
  BackupSchedule s;
  s.every_ms = p.every_ms();
  s.keep_last = p.keep_last();
  s.keep_hourly = p.keep_hourly();
  s.keep_daily = p.keep_daily();
  s.keep_weekly = p.keep_weekly();
  s.copy_data = p.copy_data();
  return s;
}

void ToProto(const BackupSchedule& s, rpc::BackupSchedule* out) {
  out->set_every_ms(s.every_ms);
  out->set_keep_last(s.keep_last);
  out->set_keep_hourly(s.keep_hourly);
  out->set_keep_daily(s.keep_daily);
  out->set_keep_weekly(s.keep_weekly);
  out->set_set_ms(s.set_ms);
  out->set_copy_data(s.copy_data);
}

void ToProto(const ScheduleRun& r, rpc::ScheduleRun* out) {
  out->set_started_ms(r.started_ms);
  out->set_duration_ms(r.duration_ms);
  out->set_ok(r.ok);
  out->set_error(r.error);
  out->set_backup_id(r.backup_id);
  for (uint64_t id : r.expired) out->add_expired(id);
}
// --- end of backup schedule conversions ---

class BackupsService final : public rpc::Backups::Service {
 public:
  explicit BackupsService(const ServiceEnv& env) : env_(env) {}

  grpc::Status Create(grpc::ServerContext* ctx, const rpc::CreateBackupRequest* req,
                      rpc::CreateBackupResponse* resp) override {
    return Handle(env_, "Backups.Create", kAdminLimited, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      // Retention treats these remarks as "taken by the schedule" (schedule_policy.h).
      if (req->remarks() == kScheduledRemarks) {
        return Status::InvalidArgument("remarks '" + req->remarks() +
                                       "' are reserved for the backup schedule");
      }
      CAIRN_ASSIGN_OR_RETURN(SnapshotEntry entry,
                             env_.backups->Create(req->remarks(), {.copy_data = req->copy_data()}));
      ToProto(entry, resp->mutable_backup());
      return Status::OK();
    });
  }
  grpc::Status List(grpc::ServerContext* ctx, const rpc::ListBackupsRequest*,
                    rpc::ListBackupsResponse* resp) override {
    return Handle(env_, "Backups.List", kAdminReadLimited, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      CAIRN_ASSIGN_OR_RETURN(Manifest manifest, env_.backups->List());
      for (const auto& e : manifest.snapshots) ToProto(e, resp->add_backups());
      resp->set_backup_storage(env_.backup_storage->DescribeForLog());
      BackupStorage storage(env_.backup_storage);
      if (manifest.snapshots.empty()) return Status::OK();  // nothing to recover from yet
      CAIRN_ASSIGN_OR_RETURN(std::vector<TimelineRange> timelines,
                             ComputeTimelineRanges(&storage, env_.live->checkpoint_interval_ms(),
                                                   nullptr, env_.live->pitr_retention_ms()));
      for (const auto& t : timelines) ToProto(t, resp->add_timelines());
      const RecoverableRange& range = timelines.back().range;  // the newest: restore's default
      resp->set_newest_timeline(timelines.back().timeline);
      resp->set_range_clamped_by_retention(range.clamped_by_retention);
      if (!range.empty) {
        resp->set_recoverable_from(FormatRfc3339Millis(range.from_ms));
        resp->set_recoverable_to(FormatRfc3339Millis(range.to_ms));
        resp->set_recoverable_from_epoch(range.from_epoch);
        resp->set_recoverable_to_epoch(range.to_epoch);
      }
      return Status::OK();
    });
  }
  grpc::Status Show(grpc::ServerContext* ctx, const rpc::ShowBackupRequest* req,
                    rpc::ShowBackupResponse* resp) override {
    return Handle(env_, "Backups.Show", kAdminReadLimited, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      CAIRN_ASSIGN_OR_RETURN(SnapshotEntry entry, env_.backups->Show(req->id()));
      ToProto(entry, resp->mutable_backup());
      return Status::OK();
    });
  }
  grpc::Status Delete(grpc::ServerContext* ctx, const rpc::DeleteBackupRequest* req,
                      rpc::DeleteBackupResponse*) override {
    return Handle(env_, "Backups.Delete", kAdmin, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      return env_.backups->Delete(req->id());
    });
  }
  grpc::Status Verify(grpc::ServerContext* ctx, const rpc::VerifyBackupRequest* req,
                      rpc::VerifyBackupResponse* resp) override {
    return Handle(env_, "Backups.Verify", kAdminReadLimited, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      CAIRN_ASSIGN_OR_RETURN(
          VerifyReport report,
          env_.backups->Verify(req->id(), req->deep(), DeepVerifyProgress(*ctx, req->id())));
      resp->set_records(report.records);
      resp->set_sst_count(report.sst_count);
      resp->set_deep(report.deep);
      resp->set_ssts_checked(report.ssts_checked);
      resp->set_bytes_read(report.bytes_read);
      resp->set_self_contained(report.self_contained);
      resp->set_copies_checked(report.copies_checked);
      resp->set_copy_bytes_read(report.copy_bytes_read);
      return Status::OK();
    });
  }
  grpc::Status Progress(grpc::ServerContext* ctx, const rpc::BackupProgressRequest*,
                        rpc::BackupProgressResponse* resp) override {
    return Handle(env_, "Backups.Progress", kAdminRead, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      BackupMetrics m = env_.backups->metrics();
      resp->set_copying(m.copy_running);
      resp->set_ssts_total(m.copy_ssts_total);
      resp->set_ssts_done(m.copy_ssts_done);
      resp->set_bytes_total(m.copy_bytes_total);
      resp->set_bytes_done(m.copy_bytes_done);
      return Status::OK();
    });
  }
  // --- backup schedule (ops, issue 15): SetSchedule, ShowSchedule, ClearSchedule ---
  grpc::Status SetSchedule(grpc::ServerContext* ctx, const rpc::SetBackupScheduleRequest* req,
                           rpc::SetBackupScheduleResponse* resp) override {
    return Handle(env_, "Backups.SetSchedule", kAdmin, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      BackupSchedule schedule = FromProto(req->schedule());
      schedule.set_ms = env_.clock->NowMillis();
      CAIRN_RETURN_IF_ERROR(SaveBackupSchedule(env_.writer, schedule));
      CAIRN_LOG_INFO("backup schedule set: {}", EncodeSchedule(schedule));
      env_.backup_scheduler->Wake();
      ToProto(schedule, resp->mutable_schedule());
      return Status::OK();
    });
  }
  grpc::Status ShowSchedule(grpc::ServerContext* ctx, const rpc::ShowBackupScheduleRequest*,
                            rpc::ShowBackupScheduleResponse* resp) override {
    return Handle(env_, "Backups.ShowSchedule", kAdminRead, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      CAIRN_ASSIGN_OR_RETURN(auto schedule, LoadBackupSchedule(env_.writer->store()));
      BackupSchedulerState state = env_.backup_scheduler->state();
      if (schedule) {
        ToProto(*schedule, resp->mutable_schedule());
        // The scheduler may not have seen a change made just now.
        if (state.schedule == schedule) resp->set_next_due_ms(state.next_due_ms);
      }
      if (state.last_run) ToProto(*state.last_run, resp->mutable_last_run());
      resp->set_runs(state.runs);
      resp->set_failures(state.failures);
      resp->set_last_success_ms(state.last_success_ms);
      return Status::OK();
    });
  }
  grpc::Status ClearSchedule(grpc::ServerContext* ctx, const rpc::ClearBackupScheduleRequest*,
                             rpc::ClearBackupScheduleResponse*) override {
    return Handle(env_, "Backups.ClearSchedule", kAdmin, *ctx, [&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Configured());
      CAIRN_RETURN_IF_ERROR(ClearBackupSchedule(env_.writer));
      CAIRN_LOG_INFO("backup schedule cleared");
      env_.backup_scheduler->Wake();
      return Status::OK();
    });
  }
  // --- end of backup schedule ---

 private:
  // Logs a deep verify's progress every 10 s; stops it when the client has gone away.
  static VerifyProgress DeepVerifyProgress(const grpc::ServerContext& ctx, uint64_t id) {
    auto last =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    return [&ctx, id, last](uint64_t done, uint64_t total, uint64_t bytes) -> Status {
      if (ctx.IsCancelled()) return Status::Aborted("backup verify cancelled by the client");
      auto now = std::chrono::steady_clock::now();
      if (now - *last >= std::chrono::seconds(10)) {
        *last = now;
        CAIRN_LOG_INFO("backup verify {}: {} of {} SSTs read ({} bytes)", id, done, total, bytes);
      }
      return Status::OK();
    };
  }
  Status Configured() const {
    if (env_.backups != nullptr) return Status::OK();
    return Status::Busy("this server has no backup storage (start it with --backup-storage URL)");
  }
  ServiceEnv env_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeServices(const ServiceEnv& env) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<TablesService>(env));
  services.push_back(std::make_unique<KvService>(env));
  services.push_back(std::make_unique<AdminService>(env));
  services.push_back(std::make_unique<ParamsService>(env));
  services.push_back(std::make_unique<UsersService>(env));
  services.push_back(std::make_unique<BackupsService>(env));
  return services;
}

}  // namespace cairn::server
