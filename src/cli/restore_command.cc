// cairn restore: offline restore of the metadata into an empty meta store, from a
// snapshot (--snapshot-id) or to a point in time (--to-time / --to-epoch). Talks to the
// stores directly; no server may be running on the object store (the writer lease).
#include <unistd.h>

#include <charconv>
#include <iostream>

#include "backup/pitr_restore.h"
#include "backup/restore.h"
#include "cli/commands.h"
#include "meta/time_spec.h"
#include "meta/writer_lease.h"

namespace cairn::cli {
namespace {

struct RestoreArgs {
  std::string backup_storage, meta_store, object_store, snapshot_id, to_time, to_epoch;
  bool overwrite = false, dry_run = false, force = false;
};

struct Stores {
  std::unique_ptr<ObjectStore> backups, objects;
  std::unique_ptr<MetaStore> target;
};

Result<Stores> OpenStores(const RestoreArgs& args) {
  Stores stores;
  auto backups = OpenObjectStore(args.backup_storage);
  if (!backups.ok()) return backups.status().WithContext("cannot open backup storage");
  stores.backups = std::move(backups).value();
  auto objects = OpenObjectStore(args.object_store);
  if (!objects.ok()) return objects.status().WithContext("cannot open object store");
  stores.objects = std::move(objects).value();
  auto target = OpenMetaStore(args.meta_store);
  if (!target.ok()) return target.status().WithContext("cannot open target meta store");
  stores.target = std::move(target).value();
  return stores;
}

std::function<void(const std::string&)> ProgressPrinter() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  return [](const std::string& line) { std::cerr << "restore: " << line << "\n"; };
}

std::function<Status()> LeaseCheck(const RestoreArgs& args, ObjectStore* objects) {
  if (args.force) return nullptr;  // documented as dangerous
  return [objects] { return CheckLeaseFree(objects, SystemClock::Default(), ""); };
}

void PrintIds(const std::map<std::string, uint64_t>& ids) {
  for (const auto& [name, value] : ids) std::cout << "  ids/" << name << " = " << value << "\n";
}

Status RestoreFromSnapshot(const RestoreArgs& args, Stores* stores) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(args.snapshot_id.data(),
                                   args.snapshot_id.data() + args.snapshot_id.size(), id);
  if (ec != std::errc() || end != args.snapshot_id.data() + args.snapshot_id.size()) {
    return Status::InvalidArgument("--snapshot-id must be a number, got '" + args.snapshot_id +
                                   "'");
  }
  RestoreOptions options;
  options.snapshot_id = id;
  options.overwrite = args.overwrite;
  options.dry_run = args.dry_run;
  options.progress = ProgressPrinter();
  options.check_writer_lease = LeaseCheck(args, stores->objects.get());
  BackupStorage storage(stores->backups.get());
  CAIRN_ASSIGN_OR_RETURN(RestorePlan plan, RestoreSnapshot(&storage, stores->objects.get(),
                                                           stores->target.get(), options));
  std::cout << (plan.written ? "restored" : "dry run: would restore") << " snapshot "
            << plan.snapshot.id << " (" << FormatRfc3339Millis(plan.snapshot.created_ms)
            << ", epoch " << plan.snapshot.epoch << ") into " << stores->target->DescribeForLog()
            << "\n  " << plan.records << " meta keys, " << plan.sst_count
            << " SSTs verified present, " << plan.pins << " backup pins\n";
  PrintIds(plan.id_generators);
  return Status::OK();
}

Status RestoreToTime(const RestoreArgs& args, Stores* stores) {
  PointInTimeOptions options;
  if (args.to_time == "latest") {
    options.to_latest = true;
  } else if (!args.to_time.empty()) {
    options.to_time = args.to_time;
  } else {
    CAIRN_ASSIGN_OR_RETURN(options.to_epoch, ParseTimeSpecToEpoch(args.to_epoch));
  }
  options.overwrite = args.overwrite;
  options.dry_run = args.dry_run;
  options.progress = ProgressPrinter();
  options.check_writer_lease = LeaseCheck(args, stores->objects.get());
  BackupStorage storage(stores->backups.get());
  CAIRN_ASSIGN_OR_RETURN(PointInTimePlan plan, RestoreToPoint(&storage, stores->objects.get(),
                                                              stores->target.get(), options));
  std::cout << (plan.written ? "restored" : "dry run: would restore") << " to epoch "
            << plan.target_epoch << " from snapshot " << plan.snapshot.id << " + "
            << plan.replayed_records << " changelog records (" << plan.segments_read
            << " segments) into " << stores->target->DescribeForLog() << "\n  " << plan.keys
            << " meta keys, " << plan.sst_count << " SSTs verified present, " << plan.pins
            << " backup pins\n  recoverable range: " << plan.range.ToString() << "\n";
  PrintIds(plan.id_generators);
  return Status::OK();
}

// With --force the operator asserts the lease holder is dead (e.g. killed with -9): the
// lease is removed so that a server on the restored meta store can start at once.
Status ReleaseDeadLease(ObjectStore* objects) {
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(objects));
  if (!lease) return Status::OK();
  CAIRN_RETURN_IF_ERROR(objects->Delete(kWriterLeaseKey));
  std::cout << "  removed the writer lease of " << lease->holder << " (--force)\n";
  return Status::OK();
}

}  // namespace

void RegisterRestoreCommand(CLI::App& app, Action* action) {
  auto args = std::make_shared<RestoreArgs>();
  auto* restore = app.add_subcommand(
      "restore", "offline restore of the metadata from backup storage into an empty meta store");
  restore->add_option("--backup-storage", args->backup_storage, "backup storage URL")->required();
  restore->add_option("--meta-store", args->meta_store, "target meta store URL")->required();
  restore
      ->add_option("--object-store", args->object_store,
                   "the cluster's object store URL (SSTs are verified there)")
      ->required();
  auto* target = restore->add_option_group("target", "what to restore");
  target->add_option("--snapshot-id", args->snapshot_id, "a snapshot id");
  target->add_option("--to-time", args->to_time, "an RFC 3339 time, an epoch, or 'latest'");
  target->add_option("--to-epoch", args->to_epoch, "an epoch");
  target->require_option(1);
  restore->add_flag("--overwrite", args->overwrite, "clear a non-empty target meta store first");
  restore->add_flag("--dry-run", args->dry_run, "verify and print the plan; write nothing");
  restore->add_flag("--force", args->force,
                    "restore even while a server holds the object store's writer lease, and "
                    "remove that lease (only for a server known to be dead: two live "
                    "clusters on one object store corrupt each other)");
  restore->callback([action, args] {
    *action = [args]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(Stores stores, OpenStores(*args));
      CAIRN_RETURN_IF_ERROR(!args->snapshot_id.empty() ? RestoreFromSnapshot(*args, &stores)
                                                       : RestoreToTime(*args, &stores));
      return args->force && !args->dry_run ? ReleaseDeadLease(stores.objects.get()) : Status::OK();
    };
  });
}

}  // namespace cairn::cli
