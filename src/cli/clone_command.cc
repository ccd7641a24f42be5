// cairn clone (docs/clones.md): offline, like restore, but while the source runs —
//   clone (--from-backup ID | --from-time T [--timeline N] | --from-epoch E)
//         --backup-storage URL --source-object-store URL --meta-store NEW --object-store NEW
//         [--dry-run] [--json]
//   clone drop --backup-storage URL --meta-store CLONE_URL     (offline)
//   clone detach                                               (online, the clone's server)
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <random>
#include <vector>

#include "backup/clone.h"
#include "cli/backup_key_option.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "common/epoch.h"
#include "common/url.h"
#include "meta/time_spec.h"
#include "meta_store/lazy_meta_store.h"
#include "server/backup_storage_open.h"

namespace cairn::cli {
namespace {

struct CloneArgs {
  std::string backup_storage, source_object_store, meta_store, object_store, from_time, from_epoch;
  std::vector<std::string> backup_key_files;  // decrypt the source's backups
  uint64_t from_backup = 0;
  uint32_t timeline = 0;
  bool dry_run = false, json = false;
};

std::function<void(const std::string&)> ProgressPrinter() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  return [](const std::string& line) { std::cerr << "clone: " << line << "\n"; };
}

Status CheckMetaUrl(const std::string& url) {
  if (!HasEmbeddedCredentials(url)) return Status::OK();
  return Status::InvalidArgument(
      "--meta-store holds a password, which every local user can read in the process list; "
      "put it in PGPASSWORD or ~/.pgpass (PostgreSQL)");
}

void PrintPlan(const ClonePlan& plan, const std::string& meta, const std::string& objects,
               bool json) {
  if (json) {
    PrintJson({{"written", plan.written},
               {"clone_id", plan.clone_id},
               {"source_cluster_id", plan.source_cluster_id},
               {"from", plan.from},
               {"epoch", plan.epoch},
               {"time", FormatRfc3339Millis(EpochToMillis(plan.epoch))},
               {"max_object_id", plan.max_object_id},
               {"snapshot_id", plan.snapshot_id},
               {"replayed_records", plan.replayed_records},
               {"sst_count", plan.sst_count},
               {"first_own_object_id", plan.first_own_object_id},
               {"layers", plan.layers},
               {"meta_store", meta},
               {"object_store", objects}});
    return;
  }
  std::cout << (plan.written ? "cloned " : "dry run: would clone ") << plan.from << " into " << meta
            << " + " << objects << "\n  clone " << plan.clone_id << " of cluster "
            << plan.source_cluster_id << " at epoch " << plan.epoch << " ("
            << FormatRfc3339Millis(EpochToMillis(plan.epoch)) << ")\n  " << plan.sst_count
            << " SSTs referenced in place (object ids below " << plan.max_object_id
            << "), nothing copied\n";
}

Status RunClone(const CloneArgs& args) {
  CAIRN_RETURN_IF_ERROR(CheckMetaUrl(args.meta_store));
  umask(077);  // the clone's meta store is as private as a server's
  auto target = OpenMetaStoreLazily(args.meta_store);
  if (!target.ok()) return target.status().WithContext("cannot open target meta store");
  std::random_device device;
  Random random((uint64_t{device()} << 32) ^ device() ^
                static_cast<uint64_t>(SystemClock::Default()->NowMillis()));
  CloneOptions options;
  options.from_backup = args.from_backup;
  options.from_time = args.from_time;
  if (!args.from_epoch.empty()) {
    CAIRN_ASSIGN_OR_RETURN(options.from_epoch, ParseTimeSpecToEpoch(args.from_epoch));
  }
  options.timeline = args.timeline;
  options.backup_storage = args.backup_storage;
  options.open_backup_storage =
      [&args](const std::string& url) -> Result<std::unique_ptr<ObjectStore>> {
    CAIRN_ASSIGN_OR_RETURN(auto store, OpenBackupStorage(url, args.backup_key_files));
    return std::unique_ptr<ObjectStore>(std::move(store));
  };
  options.source_object_store = args.source_object_store;
  options.object_store = args.object_store;
  options.dry_run = args.dry_run;
  options.random = &random;
  options.progress = ProgressPrinter();
  CAIRN_ASSIGN_OR_RETURN(ClonePlan plan, CreateClone(target->get(), options));
  PrintPlan(plan, (*target)->DescribeForLog(), args.object_store, args.json);
  return Status::OK();
}

Status RunDrop(const std::string& backup_storage, const std::string& meta_store) {
  CAIRN_RETURN_IF_ERROR(CheckMetaUrl(meta_store));
  auto meta = OpenMetaStoreLazily(meta_store);
  if (!meta.ok()) return meta.status().WithContext("cannot open the clone's meta store");
  CAIRN_ASSIGN_OR_RETURN(CloneBase base, DropClone(meta->get(), backup_storage));
  std::cout << "dropped the registration of clone " << base.clone_id << " from " << backup_storage
            << "; the source's vacuum may now delete what only the clone referenced\n";
  return Status::OK();
}

Status RunDetach(const GlobalOptions& global) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::DetachCloneRequest request;
  auto context = client->Context(std::chrono::seconds(24 * 3600));
  auto reader = client->admin().DetachClone(context.get(), request);
  rpc::DetachCloneProgress p;
  bool tty = isatty(STDERR_FILENO), done = false;
  uint64_t copied = 0, bytes = 0, removed = 0;
  while (reader->Read(&p)) {
    if (tty && !p.done()) {
      std::cerr << "detach: " << p.copied() << "/" << p.total() << " SSTs, " << p.bytes()
                << " bytes: " << p.line() << "\n";
    }
    done = p.done();
    copied = p.copied();
    bytes = p.bytes();
    removed = p.registrations_removed();
  }
  CAIRN_RETURN_IF_ERROR(client->Check(reader->Finish()));
  if (!done) return Status::Aborted("clone detach ended without finishing");
  std::cout << "detached: " << copied << " SSTs (" << bytes
            << " bytes) copied into the clone's object store; " << removed
            << " registration(s) removed\n";
  return Status::OK();
}

}  // namespace

void RegisterCloneCommand(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto args = std::make_shared<CloneArgs>();
  auto* clone = app.add_subcommand(
      "clone", "offline: a writable clone of a backup or an instant, while the source runs");
  clone->add_option("--backup-storage", args->backup_storage, "the source's backup storage URL");
  clone->add_option("--source-object-store", args->source_object_store,
                    "the source's object store URL (read only: its SSTs are used in place)");
  clone->add_option("--meta-store", args->meta_store, "the clone's new meta store URL");
  AddBackupKeyFileOption(clone, &args->backup_key_files);
  clone->add_option("--object-store", args->object_store, "the clone's new object store URL");
  auto* from = clone->add_option_group("point", "what to clone");
  from->add_option("--from-backup", args->from_backup, "a backup id");
  from->add_option("--from-time", args->from_time, "an RFC 3339 time or an epoch number");
  from->add_option("--from-epoch", args->from_epoch, "an epoch");
  clone
      ->add_option("--timeline", args->timeline,
                   "with --from-time/--from-epoch: the timeline to follow (default: newest)")
      ->check(CLI::PositiveNumber);
  clone->add_flag("--dry-run", args->dry_run, "check everything and print the plan; write nothing");
  clone->add_flag("--json", args->json, "print JSON");

  auto drop_storage = std::make_shared<std::string>(), drop_meta = std::make_shared<std::string>();
  auto* drop = clone->add_subcommand(
      "drop", "offline: remove a clone's registration; the source may then reclaim its SSTs");
  drop->add_option("--backup-storage", *drop_storage, "the source's backup storage URL")
      ->required();
  drop->add_option("--meta-store", *drop_meta, "the clone's meta store URL")->required();
  drop->callback([action, drop_storage, drop_meta] {
    *action = [drop_storage, drop_meta] { return RunDrop(*drop_storage, *drop_meta); };
  });
  auto* detach = clone->add_subcommand(
      "detach",
      "online, on the clone's server: copy the source's SSTs it still uses, then "
      "release them");
  detach->callback([&global, action] { *action = [&global] { return RunDetach(global); }; });

  // Usage errors (exit 2) are thrown here, at parse time: the flags are not marked
  // required because `clone drop` and `clone detach` do without them.
  clone->callback([clone, action, args] {
    if (!clone->get_subcommands().empty()) return;
    for (auto [flag, value] : {std::pair{"--backup-storage", &args->backup_storage},
                               std::pair{"--source-object-store", &args->source_object_store},
                               std::pair{"--meta-store", &args->meta_store},
                               std::pair{"--object-store", &args->object_store}}) {
      if (value->empty()) throw CLI::RequiredError(flag);
    }
    int given = (args->from_backup != 0) + !args->from_time.empty() + !args->from_epoch.empty();
    if (given != 1) {
      throw CLI::ValidationError("exactly one of --from-backup, --from-time, --from-epoch");
    }
    if (args->timeline != 0 && args->from_backup != 0) {
      throw CLI::ValidationError("--timeline goes with --from-time or --from-epoch");
    }
    *action = [args] { return RunClone(*args); };
  });
}

}  // namespace cairn::cli
