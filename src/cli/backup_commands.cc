// cairn backup create|list|show|delete|verify and cairn restore. Registered so the
// command set and its help are complete; the work itself arrives with issue 6.
#include "cli/commands.h"

namespace cairn::cli {
namespace {

struct BackupArgs {
  std::string remarks, id, backup_storage, meta_store, object_store, to_time, to_epoch;
  bool json = false, overwrite = false, dry_run = false, force = false;
};

void NotImplemented(CLI::App* cmd, Action* action) {
  cmd->callback(
      [action] { *action = [] { return Status::NotSupported("not implemented yet (issue 6)"); }; });
}

}  // namespace

void RegisterBackupCommands(CLI::App& app, const GlobalOptions&, Action* action) {
  auto args = std::make_shared<BackupArgs>();
  auto* backup = app.add_subcommand("backup", "metadata backups (not implemented yet)");
  backup->require_subcommand(1);
  auto* create = backup->add_subcommand("create", "take a backup; prints the new snapshot id");
  create->add_option("--remarks", args->remarks, "free text stored with the backup");
  create->add_flag("--json", args->json, "print JSON");
  NotImplemented(create, action);
  auto* list = backup->add_subcommand("list", "list backups");
  list->add_flag("--json", args->json, "print JSON");
  NotImplemented(list, action);
  for (const char* name : {"show", "delete", "verify"}) {
    auto* cmd = backup->add_subcommand(name, std::string(name) + " one backup");
    cmd->add_option("ID", args->id)->required();
    NotImplemented(cmd, action);
  }

  auto* restore = app.add_subcommand(
      "restore", "offline restore of the metadata from backup storage (not implemented yet)");
  restore->add_option("--backup-storage", args->backup_storage, "backup storage URL")->required();
  restore->add_option("--meta-store", args->meta_store, "target meta store URL")->required();
  restore->add_option("--object-store", args->object_store, "object store URL");
  auto* target = restore->add_option_group("target", "what to restore");
  target->add_option("--snapshot-id", args->id, "a snapshot id");
  target->add_option("--to-time", args->to_time, "an RFC 3339 time");
  target->add_option("--to-epoch", args->to_epoch, "an epoch");
  target->require_option(1);
  restore->add_flag("--overwrite", args->overwrite, "replace a non-empty meta store");
  restore->add_flag("--dry-run", args->dry_run, "validate and print the plan only");
  restore->add_flag("--force", args->force, "restore even if a server holds the lease");
  NotImplemented(restore, action);
}

}  // namespace cairn::cli
