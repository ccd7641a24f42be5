// cairn flush | compact | status [--json] | vacuum [--full] [--dry-run]
#include <iostream>

#include "cli/commands.h"
#include "cli/format.h"
#include "common/epoch.h"
#include "meta/time_spec.h"

namespace cairn::cli {
namespace {

constexpr auto kLongJob = std::chrono::seconds(3600);

Status RunFlush(const GlobalOptions& global) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::FlushRequest request;
  rpc::FlushResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->admin().Flush(client->Context(kLongJob).get(), request, &response)));
  std::cout << "flushed: committed epoch " << response.committed_epoch() << "\n";
  return Status::OK();
}

Status RunCompact(const GlobalOptions& global) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::CompactRequest request;
  rpc::CompactResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->admin().Compact(client->Context(kLongJob).get(), request, &response)));
  std::cout << "compacted\n";
  return Status::OK();
}

// The live clones registered in the cluster's backup storage (docs/clones.md).
nlohmann::json CloneList(const rpc::StatusResponse& r) {
  auto clones = nlohmann::json::array();
  for (const auto& c : r.clones()) {
    clones.push_back({{"clone_id", c.clone_id()},
                      {"epoch", c.epoch()},
                      {"max_object_id", c.max_object_id()},
                      {"created_time", FormatRfc3339Millis(c.created_ms())},
                      {"meta_store", c.meta_store()},
                      {"object_store", c.object_store()},
                      {"from", c.from()}});
  }
  return clones;
}

Status RunStatus(const GlobalOptions& global, bool json) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::StatusRequest request;
  rpc::StatusResponse r;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->admin().Status(client->Context().get(), request, &r)));
  std::string committed_time =
      r.committed_epoch() ? FormatRfc3339Millis(EpochToMillis(r.committed_epoch())) : "-";
  if (json) {
    auto levels = nlohmann::json::array();
    for (const auto& l : r.levels()) {
      levels.push_back({{"level", l.level()}, {"sst_count", l.sst_count()}, {"bytes", l.bytes()}});
    }
    PrintJson({{"version", r.version()},
               {"cluster_id", r.cluster_id()},
               {"meta_store", r.meta_store()},
               {"object_store", r.object_store()},
               {"http_address", r.http_address()},
               {"version_id", r.version_id()},
               {"committed_epoch", r.committed_epoch()},
               {"committed_time", committed_time},
               {"changelog_seq", r.changelog_seq()},
               {"checkpoints", r.checkpoints()},
               {"last_checkpoint_ms", r.last_checkpoint_ms()},
               {"compactions", r.compactions()},
               {"vacuum_deleted", r.vacuum_deleted()},
               {"levels", levels},
               {"clones", CloneList(r)},
               {"clones_error", r.clones_error().empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(r.clones_error())},
               {"clone_of",
                r.clone_of().empty() ? nlohmann::json(nullptr) : nlohmann::json(r.clone_of())},
               {"clone_detached", r.clone_detached()}});
    return Status::OK();
  }
  std::cout << "version: " << r.version() << "\n"
            << "cluster_id: " << r.cluster_id() << "\n"
            << "meta_store: " << r.meta_store() << "\n"
            << "object_store: " << r.object_store() << "\n"
            << "http_address: " << r.http_address() << "\n"
            << "version_id: " << r.version_id() << "\n"
            << "committed_epoch: " << r.committed_epoch() << " (" << committed_time << ")\n"
            << "changelog_seq: " << r.changelog_seq() << "\n"
            << "checkpoints: " << r.checkpoints() << "\n"
            << "last_checkpoint_ms: " << r.last_checkpoint_ms() << "\n"
            << "compactions: " << r.compactions() << "\n"
            << "vacuum_deleted: " << r.vacuum_deleted() << "\n";
  for (const auto& l : r.levels()) {
    std::cout << "level " << l.level() << ": " << l.sst_count() << " ssts, " << l.bytes()
              << " bytes\n";
  }
  if (!r.clone_of().empty()) {
    std::cout << "clone_of: " << r.clone_of() << (r.clone_detached() ? " (detached)" : "") << "\n";
  }
  for (const auto& c : r.clones()) {
    std::cout << "clone " << c.clone_id() << ": " << c.from() << ", epoch " << c.epoch()
              << ", since " << FormatRfc3339Millis(c.created_ms()) << ", meta store "
              << c.meta_store() << "\n";
  }
  if (!r.clones_error().empty()) std::cout << "clones: unknown (" << r.clones_error() << ")\n";
  return Status::OK();
}

Status RunVacuum(const GlobalOptions& global, bool full, bool dry_run) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::VacuumRequest request;
  request.set_full(full);
  request.set_dry_run(dry_run);
  rpc::VacuumResponse r;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->admin().Vacuum(client->Context(kLongJob).get(), request, &r)));
  std::cout << (dry_run ? "would delete " : "deleted ") << r.deleted() << " objects ("
            << r.deleted_bytes() << " bytes); stale candidates " << r.stale_candidates()
            << ", kept by gate " << r.kept_by_gate();
  if (full) std::cout << ", orphans " << r.orphans();
  std::cout << "\n";
  return Status::OK();
}

}  // namespace

void RegisterAdminCommands(CLI::App& app, const GlobalOptions& global, Action* action) {
  app.add_subcommand("flush", "checkpoint now; prints the committed epoch")
      ->callback([&global, action] { *action = [&global] { return RunFlush(global); }; });
  app.add_subcommand("compact", "compact until nothing is pending")->callback([&global, action] {
    *action = [&global] { return RunCompact(global); };
  });

  auto json = std::make_shared<bool>(false);
  auto* status = app.add_subcommand("status", "print the cluster's state");
  status->add_flag("--json", *json, "print JSON");
  status->callback(
      [&global, action, json] { *action = [&global, json] { return RunStatus(global, *json); }; });

  auto full = std::make_shared<bool>(false), dry_run = std::make_shared<bool>(false);
  auto* vacuum = app.add_subcommand("vacuum", "delete stale objects that no one needs");
  vacuum->add_flag("--full", *full, "also delete unreferenced objects found by listing");
  vacuum->add_flag("--dry-run", *dry_run, "report, delete nothing");
  vacuum->callback([&global, action, full, dry_run] {
    *action = [&global, full, dry_run] { return RunVacuum(global, *full, *dry_run); };
  });
}

}  // namespace cairn::cli
