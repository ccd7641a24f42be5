// cairn backup create|list|show|delete|verify: RPCs to the running server, which owns
// the pins and the manifest (docs/backup-format.md).
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/format.h"
#include "meta/time_spec.h"

namespace cairn::cli {
namespace {

nlohmann::json BackupJson(const rpc::Backup& b) {
  return {{"id", b.id()},
          {"created", FormatRfc3339Millis(b.created_ms())},
          {"created_ms", b.created_ms()},
          {"epoch", b.epoch()},
          {"version_id", b.version_id()},
          {"meta_revision", b.meta_revision()},
          {"changelog_seq", b.changelog_seq()},
          {"sst_count", b.sst_count()},
          {"sst_bytes", b.sst_bytes()},
          {"file", b.file()},
          {"file_size", b.file_size()},
          {"checksum", b.checksum()},
          {"format_version", b.format_version()},
          {"remarks", b.remarks()},
          {"cluster_id", b.cluster_id()},
          {"timeline", b.timeline() ? b.timeline() : 1},
          {"self_contained", b.self_contained()},
          {"copy_bytes", b.copy_bytes()},
          {"added_ssts", b.added_ssts()},
          {"added_bytes", b.added_bytes()}};
}

nlohmann::json TimelineJson(const rpc::TimelineInfo& t) {
  nlohmann::json range = nullptr;
  if (t.recoverable()) {
    range = {{"from", t.recoverable_from()},
             {"to", t.recoverable_to()},
             {"from_epoch", t.recoverable_from_epoch()},
             {"to_epoch", t.recoverable_to_epoch()}};
  }
  return {{"timeline", t.timeline()},
          {"parent", t.parent()},
          {"branch_seq", t.branch_seq()},
          {"branch_time", t.parent() ? FormatRfc3339Millis(t.branch_ms()) : ""},
          {"restore", t.restore()},
          {"recoverable_range", range},
          {"clamped_by_retention", t.clamped_by_retention()}};
}

std::string RangeText(bool recoverable, bool clamped, const std::string& from,
                      const std::string& to, uint64_t from_epoch, uint64_t to_epoch) {
  if (!recoverable) {
    return clamped ? "latest only (pitr_retention keeps no older history; backups restore "
                     "with --snapshot-id)"
                   : "none";
  }
  return from + " .. " + to + " (epoch " + std::to_string(from_epoch) + " .. " +
         std::to_string(to_epoch) + ")" + (clamped ? " (from: now - pitr_retention)" : "");
}

// "# timeline 2 (from timeline 1 at seq 42, <time>; <restore>): recoverable range: ...".
void PrintTimelineLine(const rpc::TimelineInfo& t) {
  std::cout << "# timeline " << t.timeline();
  if (t.parent()) {
    std::cout << " (from timeline " << t.parent() << " at seq " << t.branch_seq() << ", "
              << FormatRfc3339Millis(t.branch_ms()) << "; " << t.restore() << ")";
  }
  std::cout << ": recoverable range: "
            << RangeText(t.recoverable(), t.clamped_by_retention(), t.recoverable_from(),
                         t.recoverable_to(), t.recoverable_from_epoch(), t.recoverable_to_epoch())
            << "\n";
}

// The backup table: ID, created time, timeline, SSTs, their bytes, snapshot file size,
// remarks (escaped: one backup per line).
void PrintBackupTable(const rpc::ListBackupsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : response.backups()) {
    rows.push_back(
        {std::to_string(b.id()), FormatRfc3339Millis(b.created_ms()),
         std::to_string(b.timeline() ? b.timeline() : 1), std::to_string(b.sst_count()),
         HumanBytes(b.sst_bytes()), HumanBytes(b.file_size()), b.self_contained() ? "copy" : "ref",
         b.self_contained() ? HumanBytes(b.added_bytes()) : "-", EscapeBytes(b.remarks())});
  }
  PrintTable(
      {"ID", "CREATED", "TIMELINE", "SSTS", "SST DATA", "SNAPSHOT", "DATA", "ADDED", "REMARKS"},
      rows);
}

Result<uint64_t> ParseBackupId(const std::string& text) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id == 0) {
    return Status::InvalidArgument("backup id must be a positive number, got '" + text + "'");
  }
  return id;
}

// Registers `backup NAME ID` whose action calls `rpc_call` with the parsed id.
using IdCall = std::function<Status(Client&, uint64_t, bool json)>;
void AddIdCommand(CLI::App* backup, const GlobalOptions& global, Action* action, const char* name,
                  const char* help, IdCall rpc_call) {
  auto* cmd = backup->add_subcommand(name, help);
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("ID", *id, "backup (snapshot) id")->required();
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([&global, action, id, json, rpc_call] {
    *action = [&global, id, json, rpc_call]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(uint64_t backup_id, ParseBackupId(*id));
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      return rpc_call(*client, backup_id, *json);
    };
  });
}

// On a terminal, while a --copy-data backup runs: one stderr line a second with the
// server's copy progress (Backups.Progress), ended when the job returns.
class CopyProgressLine {
 public:
  CopyProgressLine(const GlobalOptions& global, bool enabled) {
    if (!enabled || !isatty(STDERR_FILENO)) return;
    thread_ = std::thread([this, &global] { Run(global); });
  }
  ~CopyProgressLine() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run(const GlobalOptions& global) {
    auto client = Client::Connect(global.client());
    if (!client.ok()) return;
    bool printed = false;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
      rpc::BackupProgressRequest request;
      rpc::BackupProgressResponse r;
      if (!(*client)->backups().Progress((*client)->Context().get(), request, &r).ok()) continue;
      if (!r.copying()) continue;
      std::cerr << "\rcopying SSTs to backup storage: " << r.ssts_done() << "/" << r.ssts_total()
                << " (" << HumanBytes(r.bytes_done()) << " of " << HumanBytes(r.bytes_total())
                << ")   " << std::flush;
      printed = true;
    }
    if (printed) std::cerr << "\n";
  }

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

void RegisterCreate(CLI::App* backup, const GlobalOptions& global, Action* action) {
  auto* create = backup->add_subcommand("create", "take a backup; prints the new snapshot id");
  auto remarks = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto copy_data = std::make_shared<bool>(false);
  create->add_option("--remarks", *remarks, "free text stored with the backup");
  create->add_flag("--json", *json, "print JSON");
  create->add_flag("--copy-data", *copy_data,
                   "also copy every SST the backup references into backup storage (incremental: "
                   "SSTs an earlier backup copied are not copied again), so that the backup "
                   "survives losing the object store");
  create->callback([&global, action, remarks, json, copy_data] {
    *action = [&global, remarks, json, copy_data]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      rpc::CreateBackupRequest request;
      request.set_remarks(*remarks);
      request.set_copy_data(*copy_data);
      rpc::CreateBackupResponse response;
      grpc::Status called;
      {
        CopyProgressLine progress(global, *copy_data);
        called = client->backups().Create(client->Context(std::chrono::seconds(24 * 3600)).get(),
                                          request, &response);
      }
      CAIRN_RETURN_IF_ERROR(client->Check(called));
      if (*json) {
        PrintJson(BackupJson(response.backup()));
      } else {
        std::cout << response.backup().id() << "\n";
      }
      return Status::OK();
    };
  });
}

void RegisterList(CLI::App* backup, const GlobalOptions& global, Action* action) {
  auto* list = backup->add_subcommand(
      "list",
      "list backups (ID, created, SSTs, bytes, timeline, remarks) and the PITR recoverable "
      "range of each timeline");
  auto json = std::make_shared<bool>(false);
  list->add_flag("--json", *json, "print JSON");
  list->callback([&global, action, json] {
    *action = [&global, json]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      rpc::ListBackupsRequest request;
      rpc::ListBackupsResponse response;
      CAIRN_RETURN_IF_ERROR(
          client->Check(client->backups().List(client->Context().get(), request, &response)));
      bool has_range = !response.recoverable_from().empty();
      if (*json) {
        auto backups = nlohmann::json::array();
        for (const auto& b : response.backups()) backups.push_back(BackupJson(b));
        auto timelines = nlohmann::json::array();
        for (const auto& t : response.timelines()) timelines.push_back(TimelineJson(t));
        nlohmann::json range = nullptr;
        if (has_range) {
          range = {{"from", response.recoverable_from()},
                   {"to", response.recoverable_to()},
                   {"from_epoch", response.recoverable_from_epoch()},
                   {"to_epoch", response.recoverable_to_epoch()}};
        }
        PrintJson({{"backup_storage", response.backup_storage()},
                   {"backups", backups},
                   {"recoverable_range", range},
                   {"newest_timeline", response.newest_timeline()},
                   {"timelines", timelines}});
        return Status::OK();
      }
      PrintBackupTable(response);
      if (response.timelines_size() > 1) {
        for (const auto& t : response.timelines()) PrintTimelineLine(t);
      }
      if (response.timelines_size() > 0) {
        std::cout << "# recoverable range: "
                  << RangeText(has_range, response.range_clamped_by_retention(),
                               response.recoverable_from(), response.recoverable_to(),
                               response.recoverable_from_epoch(), response.recoverable_to_epoch())
                  << (response.timelines_size() > 1
                          ? " (timeline " + std::to_string(response.newest_timeline()) +
                                ", what restore follows by default)"
                          : "")
                  << "\n";
      }
      return Status::OK();
    };
  });
}

// On a terminal, one stderr line before a deep verify (the RPC does not stream progress).
void AnnounceDeepVerify(Client& client, uint64_t id) {
  if (!isatty(STDERR_FILENO)) return;
  rpc::ShowBackupRequest request;
  request.set_id(id);
  rpc::ShowBackupResponse response;
  if (!client.backups().Show(client.Context().get(), request, &response).ok()) return;
  std::cerr << "verifying backup " << id << ": reading " << response.backup().sst_count()
            << " SSTs (" << response.backup().sst_bytes() << " bytes, deep)...\n";
}

void PrintVerifyReport(uint64_t id, const rpc::VerifyBackupResponse& r, bool json) {
  if (json) {
    PrintJson({{"id", id},
               {"records", r.records()},
               {"sst_count", r.sst_count()},
               {"deep", r.deep()},
               {"ssts_checked", r.ssts_checked()},
               {"bytes_read", r.bytes_read()},
               {"self_contained", r.self_contained()},
               {"copies_checked", r.copies_checked()},
               {"copy_bytes_read", r.copy_bytes_read()},
               {"ok", true}});
    return;
  }
  std::cout << "backup " << id << " ok: " << r.records() << " records, " << r.sst_count()
            << " SSTs present, sizes match";
  if (r.deep()) {
    std::cout << ", " << r.ssts_checked() << " SSTs read (" << r.bytes_read()
              << " bytes), checksums ok";
  }
  if (r.self_contained()) {
    std::cout << "; " << r.copies_checked() << " copied SSTs in backup storage"
              << (r.deep()
                      ? " read (" + std::to_string(r.copy_bytes_read()) + " bytes), checksums ok"
                      : ", sizes match");
  }
  std::cout << "\n";
}

void RegisterVerify(CLI::App* backup, const GlobalOptions& global, Action* action) {
  auto* verify = backup->add_subcommand(
      "verify", "check the snapshot checksum and that every SST exists with its recorded size");
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto deep = std::make_shared<bool>(false);
  verify->add_option("ID", *id, "backup (snapshot) id")->required();
  verify->add_flag("--json", *json, "print JSON");
  verify->add_flag("--deep", *deep, "also read every SST and check every block checksum");
  verify->callback([&global, action, id, json, deep] {
    *action = [&global, id, json, deep]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(uint64_t backup_id, ParseBackupId(*id));
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      if (*deep) AnnounceDeepVerify(*client, backup_id);
      rpc::VerifyBackupRequest request;
      request.set_id(backup_id);
      request.set_deep(*deep);
      rpc::VerifyBackupResponse response;
      CAIRN_RETURN_IF_ERROR(client->Check(client->backups().Verify(
          client->Context(std::chrono::seconds(3600)).get(), request, &response)));
      PrintVerifyReport(backup_id, response, *json);
      return Status::OK();
    };
  });
}

}  // namespace

void RegisterBackupCommands(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto* backup =
      app.add_subcommand("backup", "backups: the metadata, and with --copy-data the SSTs too");
  backup->require_subcommand(1);
  RegisterCreate(backup, global, action);
  RegisterList(backup, global, action);
  AddIdCommand(backup, global, action, "show", "show one backup",
               [](Client& client, uint64_t id, bool json) -> Status {
                 rpc::ShowBackupRequest request;
                 request.set_id(id);
                 rpc::ShowBackupResponse response;
                 CAIRN_RETURN_IF_ERROR(client.Check(
                     client.backups().Show(client.Context().get(), request, &response)));
                 nlohmann::json out = BackupJson(response.backup());
                 if (json) {
                   PrintJson(out);
                 } else {
                   for (const auto& [k, v] : out.items()) std::cout << k << "\t" << v << "\n";
                 }
                 return Status::OK();
               });
  AddIdCommand(backup, global, action, "delete", "delete a backup; its SSTs become vacuumable",
               [](Client& client, uint64_t id, bool) -> Status {
                 rpc::DeleteBackupRequest request;
                 request.set_id(id);
                 rpc::DeleteBackupResponse response;
                 CAIRN_RETURN_IF_ERROR(client.Check(
                     client.backups().Delete(client.Context().get(), request, &response)));
                 std::cout << "deleted backup " << id << "\n";
                 return Status::OK();
               });
  RegisterVerify(backup, global, action);
  RegisterBackupScheduleCommands(backup, global, action);
  RegisterRestoreCommand(app, action);
}

}  // namespace cairn::cli
