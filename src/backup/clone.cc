#include "backup/clone.h"

#include "backup/clone_registry.h"
#include "backup/pitr_restore.h"
#include "backup/restore.h"
#include "backup/snapshot_file.h"
#include "common/epoch.h"
#include "common/url.h"
#include "meta/cluster_identity.h"
#include "meta/keys.h"
#include "meta/time_spec.h"
#include "meta/writer_lease.h"
#include "storage/clone_object_store.h"

namespace cairn {
namespace {

void Progress(const CloneOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

Result<std::unique_ptr<ObjectStore>> Open(const std::string& url, const char* what) {
  auto store = OpenObjectStore(url);
  if (!store.ok()) return store.status().WithContext(std::string("cannot open ") + what);
  return store;
}

// Opens a store that must exist already (the source's).
Result<std::unique_ptr<ObjectStore>> OpenExisting(const std::string& url, const char* what) {
  if (ObjectStoreRootMissing(url)) {
    return Status::NotFound(std::string(what) + " " + url + " does not exist");
  }
  return Open(url, what);
}

// The source's backup storage, through options.open_backup_storage (decrypting) if set.
Result<std::unique_ptr<ObjectStore>> OpenSourceBackups(const CloneOptions& options) {
  if (!options.open_backup_storage) return OpenExisting(options.backup_storage, "backup storage");
  if (ObjectStoreRootMissing(options.backup_storage)) {
    return Status::NotFound("backup storage " + options.backup_storage + " does not exist");
  }
  return options.open_backup_storage(options.backup_storage);
}

// The clone's own object store must be new: no identity, no lease, no data.
Status CheckNewObjectStore(ObjectStore* own) {
  CAIRN_ASSIGN_OR_RETURN(auto identity, ReadClusterIdentity(own));
  if (identity) {
    return Status::FailedPrecondition(DescribeOwner(own, *identity) +
                                      ": a clone needs a new, empty object store");
  }
  CAIRN_ASSIGN_OR_RETURN(ListPage page, own->List("", "", 1));
  if (!page.objects.empty()) {
    return Status::FailedPrecondition("object store " + own->DescribeForLog() +
                                      " is not empty (it holds '" + page.objects[0].key +
                                      "'): a clone needs a new, empty object store");
  }
  return Status::OK();
}

// The dry run against the source: what the clone point is, with every check.
struct Point {
  std::string source_cluster_id, snapshot_file, from;
  uint64_t snapshot_id = 0, epoch = 0, max_object_id = 0, replayed = 0, ssts = 0;
};

Result<Point> PlanPoint(BackupStorage* backups, ObjectStore* source, MetaStore* target,
                        const CloneOptions& options, Clock* clock) {
  Point p;
  if (options.from_backup != 0) {
    RestoreOptions r;
    r.snapshot_id = options.from_backup;
    r.dry_run = r.force = true;  // the source runs; nothing is written
    r.clock = clock;
    CAIRN_ASSIGN_OR_RETURN(RestorePlan plan, RestoreSnapshot(backups, source, target, r));
    p.source_cluster_id = plan.snapshot.cluster_id;
    p.snapshot_file = plan.snapshot.file;
    p.snapshot_id = plan.snapshot.id;
    p.epoch = plan.snapshot.epoch;
    p.max_object_id = plan.snapshot.max_object_id;
    p.ssts = plan.sst_count;
    p.from = "backup " + std::to_string(p.snapshot_id);
    return p;
  }
  PointInTimeOptions r;
  r.to_time = options.from_time;
  r.to_epoch = options.from_epoch;
  r.timeline = options.timeline;
  r.dry_run = r.force = true;
  r.clock = clock;
  r.read_ahead = options.read_ahead;
  CAIRN_ASSIGN_OR_RETURN(PointInTimePlan plan, RestoreToPoint(backups, source, target, r));
  p.source_cluster_id = plan.snapshot.cluster_id;
  p.snapshot_file = plan.snapshot.file;
  p.snapshot_id = plan.snapshot.id;
  p.epoch = plan.target_epoch;
  p.max_object_id = plan.state_object_id;
  p.replayed = plan.replayed_records;
  p.ssts = plan.sst_count;
  p.from = "epoch " + std::to_string(p.epoch) + " (backup " + std::to_string(p.snapshot_id) +
           " + " + std::to_string(p.replayed) + " changelog records)";
  return p;
}

// The layers a clone of a clone inherits: its source's base (clone/base) in the
// snapshot of the clone point — for an instant, the newest snapshot created at or before
// it. A source detached by then has none (its own store holds everything); a detach
// between that snapshot and the instant makes the dry run fail on missing SSTs, never
// read wrong data. Keys are in order, so the read stops past clone/base.
Result<std::vector<CloneLayer>> InheritedLayers(BackupStorage* backups,
                                                const CloneOptions& options) {
  return BaseLayersAt(backups, options.from_backup, options.from_time, options.from_epoch);
}

}  // namespace

Result<std::vector<CloneLayer>> BaseLayersAt(BackupStorage* backups, uint64_t snapshot_id,
                                             const std::string& time, uint64_t epoch) {
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, backups->LoadManifest());
  const SnapshotEntry* entry = nullptr;
  if (snapshot_id != 0) {
    entry = manifest.Find(snapshot_id);
  } else {
    auto target = epoch != 0         ? Result<uint64_t>(epoch)
                  : time == "latest" ? Result<uint64_t>(~uint64_t{0} >> 1)
                                     : ParseTimeSpecToEpoch(time);
    if (!target.ok()) return std::vector<CloneLayer>();  // the restore names the error
    for (const auto& s : manifest.snapshots) {
      if (s.created_ms > EpochToMillis(*target)) continue;
      if (!entry || s.created_ms > entry->created_ms) entry = &s;
    }
  }
  if (entry == nullptr) return std::vector<CloneLayer>();
  std::optional<std::string> value;
  SnapshotHeader header;
  SnapshotFileInfo info;
  const Status found = Status::Aborted("found");
  Status read = ReadSnapshot(backups->store(), entry->file, &header, &info,
                             [&](std::string_view key, std::string_view v) {
                               if (key == keys::kCloneBase) value = std::string(v);
                               return key >= keys::kCloneBase ? found : Status::OK();
                             });
  if (!read.ok() && read.code() != ErrorCode::kAborted) return read;
  if (!value) return std::vector<CloneLayer>();
  CAIRN_ASSIGN_OR_RETURN(CloneBase base, DecodeCloneBase(*value));
  return base.detached ? std::vector<CloneLayer>() : base.layers;
}

namespace {

Status Unregister(const std::vector<CloneLayer>& layers, size_t count, const std::string& id) {
  Status first;
  for (size_t i = 0; i < count; ++i) {
    auto backups = Open(layers[i].backup_storage, "backup storage");
    Status s = backups.ok() ? UnregisterClone(backups->get(), id) : backups.status();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

// One registration per layer, create-only; on a failure the ones written are removed.
Status RegisterAll(const std::vector<CloneLayer>& layers, CloneRegistration r,
                   const std::string& own_url, MetaStore* target) {
  r.meta_store = target->DescribeForLog();
  r.object_store = own_url;
  for (size_t i = 0; i < layers.size(); ++i) {
    r.source_cluster_id = layers[i].cluster_id;
    r.epoch = layers[i].epoch;
    r.max_object_id = layers[i].max_object_id;
    auto backups = Open(layers[i].backup_storage, "backup storage");
    Status s = backups.ok() ? RegisterClone(backups->get(), r) : backups.status();
    if (!s.ok()) {
      (void)Unregister(layers, i, r.clone_id);
      return s.WithContext("registering the clone in " + layers[i].backup_storage);
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<CloneObjectStore>> LayeredStore(const std::string& own_url,
                                                       const std::vector<CloneLayer>& layers) {
  CAIRN_ASSIGN_OR_RETURN(auto own, Open(own_url, "object store"));
  std::vector<CloneObjectStore::Layer> opened;
  for (const auto& l : layers) {
    CAIRN_ASSIGN_OR_RETURN(auto store, Open(l.object_store, "a clone base's object store"));
    opened.push_back({std::move(store), l.max_object_id});
  }
  return std::make_unique<CloneObjectStore>(std::move(own), std::move(opened));
}

namespace {

// The restore proper, through the clone's layered store (every check again).
Status WriteClone(BackupStorage* backups, CloneObjectStore* objects, MetaStore* target,
                  const CloneOptions& options, const Point& p, const CloneSpec& spec, Clock* clock,
                  uint64_t* first_own_id) {
  if (options.from_backup != 0) {
    RestoreOptions r;
    r.snapshot_id = p.snapshot_id;
    r.clock = clock;
    r.progress = options.progress;
    r.clone = &spec;
    CAIRN_ASSIGN_OR_RETURN(RestorePlan plan, RestoreSnapshot(backups, objects, target, r));
    *first_own_id = plan.id_generators["object"];
    return Status::OK();
  }
  PointInTimeOptions r;
  r.to_epoch = p.epoch;
  r.timeline = options.timeline;
  r.clock = clock;
  r.read_ahead = options.read_ahead;
  r.progress = options.progress;
  r.clone = &spec;
  CAIRN_ASSIGN_OR_RETURN(PointInTimePlan plan, RestoreToPoint(backups, objects, target, r));
  *first_own_id = plan.id_generators["object"];
  return Status::OK();
}

std::string NewCloneId(Random* random) {
  return keys::Hex16(random->Next()) + keys::Hex16(random->Next());
}

}  // namespace

Result<ClonePlan> CreateClone(MetaStore* target, const CloneOptions& options) {
  Clock* clock = options.clock ? options.clock : SystemClock::Default();
  int given = (options.from_backup != 0) + !options.from_time.empty() + (options.from_epoch != 0);
  if (given != 1) {
    return Status::InvalidArgument(
        "clone needs exactly one of --from-backup, --from-time, "
        "--from-epoch");
  }
  for (const std::string* url :
       {&options.backup_storage, &options.source_object_store, &options.object_store}) {
    if (HasEmbeddedCredentials(*url)) {
      return Status::InvalidArgument(
          "a store URL holds a credential, which the clone would record in its metadata; S3 "
          "keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
    }
  }
  if (options.object_store == options.source_object_store) {
    return Status::InvalidArgument("the clone's --object-store must differ from the source's");
  }
  CAIRN_ASSIGN_OR_RETURN(auto backup_store, OpenSourceBackups(options));
  if (ObjectStoreRootMissing(options.source_object_store)) {
    return Status::NotFound("source object store " + options.source_object_store +
                            " does not exist");
  }
  BackupStorage backups(backup_store.get());
  // The source as its own server sees it (a clone of a clone reads through its layers).
  CAIRN_ASSIGN_OR_RETURN(std::vector<CloneLayer> layers, InheritedLayers(&backups, options));
  CAIRN_ASSIGN_OR_RETURN(auto source, LayeredStore(options.source_object_store, layers));
  if (!ObjectStoreRootMissing(
          options.object_store)) {  // a missing one is new, and made when written
    CAIRN_ASSIGN_OR_RETURN(auto own, Open(options.object_store, "object store"));
    CAIRN_RETURN_IF_ERROR(CheckNewObjectStore(own.get()));
  }
  Progress(options, "checking the clone point against the source");
  CAIRN_ASSIGN_OR_RETURN(Point point, PlanPoint(&backups, source.get(), target, options, clock));
  layers.push_back({options.source_object_store, options.backup_storage, point.source_cluster_id,
                    point.epoch, point.max_object_id});

  ClonePlan plan;
  plan.clone_id = NewCloneId(options.random);
  plan.source_cluster_id = point.source_cluster_id;
  plan.from = point.from + " of " + backup_store->DescribeForLog();
  plan.epoch = point.epoch;
  plan.max_object_id = point.max_object_id;
  plan.snapshot_id = point.snapshot_id;
  plan.replayed_records = point.replayed;
  plan.sst_count = point.ssts;
  plan.layers = layers.size();
  if (options.dry_run) return plan;

  CloneBase base{plan.clone_id, layers, plan.from, clock->NowMillis(), false, 0};
  CloneSpec spec{plan.clone_id,
                 {{std::string(keys::kClusterId), plan.clone_id},
                  {std::string(keys::kCloneBase), EncodeCloneBase(base)},
                  {keys::ParamKey("backup_storage_url"), ""}}};
  Progress(options, "registering the clone in " + backup_store->DescribeForLog());
  CloneRegistration registration;
  registration.clone_id = plan.clone_id;
  registration.created_ms = base.created_ms;
  registration.from = point.from;
  CAIRN_RETURN_IF_ERROR(RegisterAll(layers, registration, options.object_store, target));
  Status written = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto objects, LayeredStore(options.object_store, layers));
    return WriteClone(&backups, objects.get(), target, options, point, spec, clock,
                      &plan.first_own_object_id);
  }();
  if (!written.ok()) {
    Status removed = Unregister(layers, layers.size(), plan.clone_id);
    if (!removed.ok())
      written = written.WithContext("removing the registration failed too: " + removed.ToString());
    return written;
  }
  plan.written = true;
  return plan;
}

Result<CloneBase> DropClone(MetaStore* clone_meta, const std::string& backup_storage) {
  CAIRN_ASSIGN_OR_RETURN(auto base, LoadCloneBase(clone_meta));
  if (!base) {
    return Status::InvalidArgument("meta store " + clone_meta->DescribeForLog() +
                                   " is not a clone's (it has no " + std::string(keys::kCloneBase) +
                                   ")");
  }
  CAIRN_ASSIGN_OR_RETURN(auto backups, Open(backup_storage, "backup storage"));
  CAIRN_RETURN_IF_ERROR(UnregisterClone(backups.get(), base->clone_id));
  for (const auto& l : base->layers) {  // best effort: a registration already gone is fine
    if (l.backup_storage == backup_storage) continue;
    auto store = Open(l.backup_storage, "backup storage");
    if (store.ok()) (void)UnregisterClone(store->get(), base->clone_id);
  }
  return *base;
}

}  // namespace cairn
