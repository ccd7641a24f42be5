// cairn restore: offline restore of the metadata into an empty meta store, from a
// snapshot (--snapshot-id) or to a point in time (--to-time / --to-epoch). Talks to the
// stores directly. The safety checks (live lease, identity, target) are the restore
// library's (backup/restore_target.h); the target is created only when writing starts.
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "backup/backup_encryption.h"
#include "backup/clone.h"
#include "backup/pitr_restore.h"
#include "backup/restore.h"
#include "cli/backup_key_option.h"
#include "cli/commands.h"
#include "common/url.h"
#include "meta/time_spec.h"
#include "meta_store/lazy_meta_store.h"
#include "server/backup_storage_open.h"

namespace cairn::cli {
namespace {

struct RestoreArgs {
  std::string backup_storage, meta_store, object_store, snapshot_id, to_time, to_epoch;
  uint32_t timeline = 0;
  bool overwrite = false, dry_run = false, force = false;
  std::vector<std::string> backup_key_files;
};

struct Stores {
  std::unique_ptr<EncryptedObjectStore> backups;
  std::unique_ptr<ObjectStore> objects;
  std::unique_ptr<MetaStore> target;
};

Result<Stores> OpenStores(const RestoreArgs& args) {
  Stores stores;
  CAIRN_ASSIGN_OR_RETURN(stores.backups,
                         OpenBackupStorage(args.backup_storage, args.backup_key_files));
  auto objects = OpenObjectStore(args.object_store);
  if (!objects.ok()) return objects.status().WithContext("cannot open object store");
  stores.objects = std::move(objects).value();
  auto target = OpenMetaStoreLazily(args.meta_store);
  if (!target.ok()) return target.status().WithContext("cannot open target meta store");
  stores.target = std::move(target).value();
  return stores;
}

// A backup of a clone references its base's SSTs: verify and restore through the same
// layers its server reads (docs/clones.md). A manifest error is left to the restore.
Status LayerCloneObjects(const RestoreArgs& args, Stores* stores) {
  uint64_t id = 0, epoch = 0;
  std::from_chars(args.snapshot_id.data(), args.snapshot_id.data() + args.snapshot_id.size(), id);
  if (!args.to_epoch.empty()) {
    auto parsed = ParseTimeSpecToEpoch(args.to_epoch);
    if (parsed.ok()) epoch = *parsed;
  }
  BackupStorage storage(stores->backups.get());
  auto layers = BaseLayersAt(&storage, id, args.to_time, epoch);
  if (!layers.ok() || layers->empty()) return Status::OK();
  CAIRN_ASSIGN_OR_RETURN(auto layered, LayeredStore(args.object_store, *layers));
  stores->objects = std::move(layered);
  return Status::OK();
}

std::function<void(const std::string&)> ProgressPrinter() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  return [](const std::string& line) { std::cerr << "restore: " << line << "\n"; };
}

// On a terminal, while SSTs are copied back from a self-contained backup: one stderr line
// a second.
class CopyBackProgress {
 public:
  CopyBackProgress() {
    if (!isatty(STDERR_FILENO)) return;
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
        if (progress.ssts_total == 0) continue;
        std::cerr << "\rrestore: copying SSTs from backup storage: " << progress.ssts_done << "/"
                  << progress.ssts_total << " (" << progress.bytes_done << " of "
                  << progress.bytes_total << " bytes)   " << std::flush;
        printed_ = true;
      }
      if (printed_) std::cerr << "\n";
    });
  }
  ~CopyBackProgress() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  CopyProgress progress;

 private:
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false, printed_ = false;
};

// "  copied 12 SSTs (3 MiB) from backup storage into <object store>" (self-contained only).
void PrintCopied(bool written, uint64_t ssts, uint64_t bytes, const ObjectStore& objects) {
  if (ssts == 0) return;
  std::cout << "  " << (written ? "copied " : "would copy ") << ssts << " SSTs (" << bytes
            << " bytes) from backup storage into " << objects.DescribeForLog() << "\n";
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
  options.force = args.force;
  BackupStorage storage(stores->backups.get());
  // The key first: its error is clearer than the snapshot file's.
  auto manifest = storage.LoadManifest();
  const SnapshotEntry* entry = manifest.ok() ? manifest->Find(id) : nullptr;
  if (entry != nullptr) CAIRN_RETURN_IF_ERROR(CheckBackupKey(*entry, stores->backups->keys()));
  Result<RestorePlan> restored = RestorePlan{};
  {
    CopyBackProgress progress;
    options.copy_progress = &progress.progress;
    restored = RestoreSnapshot(&storage, stores->objects.get(), stores->target.get(), options);
  }
  CAIRN_ASSIGN_OR_RETURN(RestorePlan plan, std::move(restored));
  std::cout << (plan.written ? "restored" : "dry run: would restore") << " snapshot "
            << plan.snapshot.id << " (" << FormatRfc3339Millis(plan.snapshot.created_ms)
            << ", epoch " << plan.snapshot.epoch << ") into " << stores->target->DescribeForLog()
            << "\n  " << plan.records << " meta keys, " << plan.sst_count
            << " SSTs verified present, " << plan.pins << " backup pins\n"
            << "  the restored cluster " << (plan.written ? "runs" : "would run") << " on timeline "
            << plan.timeline << " (from timeline " << plan.snapshot.timeline << " at seq "
            << plan.snapshot.changelog_seq << ")\n";
  PrintCopied(plan.written, plan.copied_ssts, plan.copied_bytes, *stores->objects);
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
  options.force = args.force;
  options.timeline = args.timeline;
  BackupStorage storage(stores->backups.get());
  Result<PointInTimePlan> restored = PointInTimePlan{};
  {
    CopyBackProgress progress;
    options.copy_progress = &progress.progress;
    restored = RestoreToPoint(&storage, stores->objects.get(), stores->target.get(), options);
  }
  CAIRN_ASSIGN_OR_RETURN(PointInTimePlan plan, std::move(restored));
  std::cout << (plan.written ? "restored" : "dry run: would restore") << " to epoch "
            << plan.target_epoch << " from snapshot " << plan.snapshot.id << " + "
            << plan.replayed_records << " changelog records (" << plan.segments_read
            << " segments) into " << stores->target->DescribeForLog() << "\n  " << plan.keys
            << " meta keys, " << plan.sst_count << " SSTs verified present, " << plan.pins
            << " backup pins\n  " << plan.range.ToString() << "\n"
            << "  followed timeline " << plan.range.timeline << "; the restored cluster "
            << (plan.written ? "runs" : "would run") << " on timeline " << plan.timeline << "\n";
  PrintCopied(plan.written, plan.copied_ssts, plan.copied_bytes, *stores->objects);
  PrintIds(plan.id_generators);
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
                   "the cluster's object store URL (SSTs are verified there; from a "
                   "self-contained backup, missing SSTs are copied there from backup storage)")
      ->required();
  auto* target = restore->add_option_group("target", "what to restore");
  target->add_option("--snapshot-id", args->snapshot_id, "a snapshot id");
  target->add_option("--to-time", args->to_time, "an RFC 3339 time, an epoch, or 'latest'");
  target->add_option("--to-epoch", args->to_epoch, "an epoch");
  target->require_option(1);
  auto* timeline =
      restore->add_option("--timeline", args->timeline,
                          "with --to-time/--to-epoch: the timeline to follow (default: the "
                          "newest in the backup storage; see `cairn backup list`)");
  timeline->check(CLI::PositiveNumber);
  restore->add_flag("--overwrite", args->overwrite, "clear a non-empty target meta store first");
  restore->add_flag("--dry-run", args->dry_run, "verify and print the plan; write nothing");
  AddBackupKeyFileOption(restore, &args->backup_key_files);
  restore->add_flag("--force", args->force,
                    "restore even while a server holds the object store's writer lease (only "
                    "for a server known to be dead; the restore fences its lease either way, "
                    "so a server still running on it stops writing)");
  restore->callback([action, args] {
    *action = [args]() -> Status {
      if (args->timeline != 0 && !args->snapshot_id.empty()) {
        return Status::InvalidArgument(
            "--timeline goes with --to-time or --to-epoch; a snapshot knows its timeline");
      }
      if (HasEmbeddedCredentials(args->meta_store)) {
        return Status::InvalidArgument(
            "--meta-store holds a password, which every local user can read in the process "
            "list; put it in PGPASSWORD or ~/.pgpass (PostgreSQL)");
      }
      umask(077);  // the restored meta store is as private as the server's
      CAIRN_ASSIGN_OR_RETURN(Stores stores, OpenStores(*args));
      CAIRN_RETURN_IF_ERROR(LayerCloneObjects(*args, &stores));
      return !args->snapshot_id.empty() ? RestoreFromSnapshot(*args, &stores)
                                        : RestoreToTime(*args, &stores);
    };
  });
}

}  // namespace cairn::cli
