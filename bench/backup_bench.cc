// backup_bench: cairn's backup path against its physical limits, in one run.
//
//   list     paged listing (pages of 1000) of data/ holding N objects on fs://
//   create   backup create at N synthetic SSTs vs the physical limit: one snapshot Range
//            read of every meta key + writing the snapshot's byte count to backup storage
//   restore  restore to readable at N SSTs: RestoreSnapshot + MetaWriter::Open +
//            Cluster::Open + ListTables (sqlite:// meta, fs:// data with N dummy SSTs)
//   verify   backup verify's listing at N SSTs: presence only (the check before #11) vs
//            presence + recorded size (VerifySsts), same run, and BackupService::Verify
//   vacuum   Cluster::Vacuum with P backup pins and N stale SSTs, all pinned
//   engine   backup of a dataset loaded through the engine vs RocksDB BackupEngine
//   tput     engine write throughput with backups back to back vs without
//
//   backup_bench [--parts list,create,restore,verify,vacuum,engine,tput] [--dir DIR]
//                [--list-objects N] [--create-ssts N,N] [--restore-ssts N] [--verify-ssts N]
//                [--vacuum-ssts N] [--vacuum-pins P] [--engine-mib M] [--tput-seconds S]
//                [--tput-backup-gap-ms MS]
//
// Synthetic metadata is written straight into the meta store (SstMeta via
// EncodeSstMeta, a version header, catalog, ids); dummy objects are created with plain
// open/write (no fsync): they are fixtures, not what is measured. The verify part's
// objects are sparse files of each SstMeta's file_size (ftruncate), so sizes match.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "backup/snapshot_file.h"
#include "backup/verify.h"
#include "bench_util.h"
#include "common/epoch.h"
#include "common/random.h"
#include "meta/backup_pins.h"
#include "meta/keys.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "rocksdb_backup.h"
#include "sst/internal_key.h"
#include "storage/cluster.h"
#include "storage/deletion_gate.h"
#include "storage/storage_codec.h"
#include "synthetic_meta.h"

namespace cairn {
namespace {

using bench::Check;
using bench::CreateDummyObjects;
using bench::Die;
using bench::kBaseEpoch;
using bench::LoadSyntheticMeta;
using bench::Must;

struct Config {
  std::string dir;
  std::string parts = "list,create,restore,verify,vacuum,engine,tput";
  uint64_t list_objects = 100'000;
  uint64_t shared_objects = 0;  // dummy SSTs 1..N shared by list, restore, vacuum
  std::vector<uint64_t> create_ssts = {10'000, 100'000};
  uint64_t restore_ssts = 100'000;
  uint64_t verify_ssts = 100'000;
  uint64_t vacuum_ssts = 100'000;
  uint64_t vacuum_pins = 1'000;
  uint64_t engine_mib = 1024;
  double tput_seconds = 4;
  int64_t tput_backup_gap_ms = 0;  // pause between backups; 0 = back to back
};

using Clock = std::chrono::steady_clock;

double Seconds(const std::function<void()>& fn) {
  auto start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A fresh directory for one part.
std::string PartDir(const Config& cfg, const std::string& name) {
  std::string dir = cfg.dir + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The dummy SSTs data/<16 hex>.sst, ids 1..shared_objects, created once per run: 100k
// files take a while to create and to delete on this disk.
std::string SharedObjects(const Config& cfg) {
  static bool created = false;
  std::string root = cfg.dir + "/shared-objects";
  if (!created) CreateDummyObjects(root, 1, cfg.shared_objects);
  created = true;
  return root;
}

// A meta store + writer + stores in one directory.
struct Stores {
  std::unique_ptr<MetaStore> meta;
  std::unique_ptr<MetaWriter> writer;
  std::unique_ptr<ObjectStore> objects;
  std::unique_ptr<ObjectStore> backups;

  Stores(const std::string& dir, const std::string& meta_name, const std::string& objects_root) {
    meta = Must(OpenMetaStore("sqlite://" + dir + "/" + meta_name), "open meta");
    objects = Must(OpenObjectStore("fs://" + objects_root), "open objects");
    backups = Must(OpenObjectStore("fs://" + dir + "/backup"), "open backup storage");
  }
  void OpenWriter() {
    writer = std::make_unique<MetaWriter>(meta.get(), SystemClock::Default());
    Check(writer->Open(), "open meta writer");
  }
};

ClusterOptions QuietOptions() {
  ClusterOptions options;
  options.background_threads = false;
  options.vacuum_min_age_ms = 0;
  return options;
}

// ---- parts ---------------------------------------------------------------------------

void RunList(const Config& cfg) {
  std::string dir = PartDir(cfg, "list");
  auto list = [&](ObjectStore* store) {
    uint64_t n = 0;
    double s = Seconds([&] {
      Check(ListAll(*store, "data/", [&](const ObjectMeta&) { return Status::OK(); }),
            "list data/");
    });
    Check(ListAll(*store, "data/",
                  [&](const ObjectMeta&) {
                    ++n;
                    return Status::OK();
                  }),
          "list data/");
    if (n != cfg.shared_objects) Die("listed " + std::to_string(n) + " objects");
    return s;
  };
  auto store = Must(OpenObjectStore("fs://" + SharedObjects(cfg)), "open fs");
  double first = list(store.get());
  double again = list(store.get());
  std::printf(
      "list     %7llu objects in data/, pages of 1000: %.3f s (new store), %.3f s "
      "(again, same store)\n",
      static_cast<unsigned long long>(cfg.shared_objects), first, again);
}

void RunCreate(const Config& cfg, uint64_t ssts) {
  std::string dir = PartDir(cfg, "create-" + std::to_string(ssts));
  Stores st(dir, "meta.db", dir + "/objects");
  LoadSyntheticMeta(st.meta.get(), ssts);
  st.OpenWriter();
  BackupService service(st.writer.get(), st.objects.get(), st.backups.get(),
                        SystemClock::Default());
  std::vector<double> create, scan, write;
  std::vector<double> purge, pin, cut, narrow, publish;
  uint64_t file_size = 0;
  for (int round = 0; round < 3; ++round) {
    create.push_back(Seconds([&] { file_size = Must(service.Create(""), "create").file_size; }));
    BackupMetrics m = service.metrics();
    purge.push_back(m.last_purge_ms);
    pin.push_back(m.last_pin_ms);
    cut.push_back(m.last_cut_ms);
    narrow.push_back(m.last_narrow_ms);
    publish.push_back(m.last_publish_ms);
    uint64_t bytes = 0;
    scan.push_back(Seconds([&] {
      auto snap = Must(st.meta->Snapshot(), "snapshot");
      for (const auto& kv : Must(snap->Range("", "", SIZE_MAX), "range")) {
        bytes += kv.key.size() + kv.value.size();
      }
    }));
    std::string payload(file_size, 'x');
    write.push_back(Seconds([&] { Check(st.backups->Put("limit", payload), "put"); }));
  }
  double limit = Median(scan) + Median(write);
  std::printf(
      "create   %7llu SSTs: backup create %.3f s, limit %.3f s (scan %.3f + write "
      "%.3f) = %.2fx (target <= 2.0); snapshot %llu bytes = %.1f bytes/SST (target <= "
      "64)\n",
      static_cast<unsigned long long>(ssts), Median(create), limit, Median(scan), Median(write),
      Median(create) / limit, static_cast<unsigned long long>(file_size),
      static_cast<double>(file_size) / ssts);
  std::printf(
      "create   %7llu SSTs: phases (ms, median) purge %.1f, id+pin commit %.1f, cut %.1f, "
      "narrowed pin %.1f, manifest %.1f\n",
      static_cast<unsigned long long>(ssts), Median(purge), Median(pin), Median(cut),
      Median(narrow), Median(publish));
}

// What every backup pays regardless of size (backup id, pin, narrowed pin, snapshot
// file, manifest), on a store with one SST; and one durable meta commit and small put.
void RunCreateFixed(const Config& cfg) {
  std::string dir = PartDir(cfg, "create-fixed");
  Stores st(dir, "meta.db", dir + "/objects");
  LoadSyntheticMeta(st.meta.get(), 1);
  st.OpenWriter();
  BackupService service(st.writer.get(), st.objects.get(), st.backups.get(),
                        SystemClock::Default());
  std::vector<double> create, commit, put;
  for (int round = 0; round < 5; ++round) {
    create.push_back(Seconds([&] { Must(service.Create(""), "create"); }));
    commit.push_back(Seconds([&] {
      Txn txn;
      txn.ops.push_back(Op::Put("transient/bench", std::to_string(round)));
      Must(st.writer->Commit(std::move(txn)), "commit");
    }));
    put.push_back(Seconds([&] { Check(st.backups->Put("limit", "{}"), "put"); }));
  }
  std::printf(
      "create   fixed cost per backup (1 SST): %.3f s; one meta commit %.3f s, one "
      "small put %.3f s\n",
      Median(create), Median(commit), Median(put));
}

// Meta store batches the restore writes in: restore.cc uses 512 keys / 1 MiB.
double CommitInBatches(const std::string& url, const std::vector<KeyValue>& records,
                       size_t batch_keys) {
  auto store = Must(OpenMetaStore(url), "open meta");
  return Seconds([&] {
    Txn txn;
    for (const auto& kv : records) {
      txn.ops.push_back(Op::Put(kv.key, kv.value));
      if (txn.ops.size() == batch_keys) {
        Must(store->Commit(txn), "commit");
        txn.ops.clear();
      }
    }
    if (!txn.ops.empty()) Must(store->Commit(txn), "commit");
  });
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The snapshot writer compresses at zstd level 3: what levels 3, 1 and -1 cost on the
// same records (one-shot, one thread).
void CompressionCost(const std::vector<KeyValue>& records) {
  std::string raw;
  for (const auto& kv : records) {
    PutVarint(&raw, kv.key.size());
    raw += kv.key;
    PutVarint(&raw, kv.value.size());
    raw += kv.value;
  }
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  std::printf("snapshot %zu raw bytes; zstd", raw.size());
  for (int level : {3, 1, -1}) {
    size_t size = 0;
    double s = Seconds(
        [&] { size = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level); });
    std::printf(" level %d: %.3f s -> %zu bytes;", level, s, size);
  }
  std::printf("\n");
}

// Where restore's time goes, each phase alone on fresh store instances.
void RestoreBreakdown(const std::string& dir, const std::string& objects_root,
                      const SnapshotEntry& entry) {
  auto backups = Must(OpenObjectStore("fs://" + dir + "/backup"), "open backup storage");
  auto objects = Must(OpenObjectStore("fs://" + objects_root), "open objects");
  BackupStorage storage(backups.get());
  double verify = Seconds([&] { Must(VerifySnapshot(&storage, entry), "verify"); });
  uint64_t max_listed = 0;
  double listing =
      Seconds([&] { Check(VerifySsts(objects.get(), {}, &max_listed), "list objects"); });
  std::vector<KeyValue> records;
  SnapshotHeader header;
  SnapshotFileInfo info;
  double read = Seconds([&] {
    Check(ReadSnapshot(backups.get(), entry.file, &header, &info,
                       [&](std::string_view key, std::string_view value) {
                         records.push_back(KeyValue{std::string(key), std::string(value), 0});
                         return Status::OK();
                       }),
          "read snapshot");
  });
  CompressionCost(records);
  double small = CommitInBatches("sqlite://" + dir + "/batch512.db", records, 512);
  double large = CommitInBatches("sqlite://" + dir + "/batch16k.db", records, 16384);
  std::printf(
      "restore  breakdown: verify pass %.3f s, SST listing %.3f s, read pass %.3f s, "
      "write %zu keys to sqlite in batches of 512: %.3f s (%zu commits), of 16384: "
      "%.3f s\n",
      verify, listing, read, records.size(), small, (records.size() + 511) / 512, large);
}

void RunRestore(const Config& cfg) {
  std::string dir = PartDir(cfg, "restore");
  Stores source(dir, "meta.db", SharedObjects(cfg));
  LoadSyntheticMeta(source.meta.get(), cfg.restore_ssts);
  source.OpenWriter();
  BackupService service(source.writer.get(), source.objects.get(), source.backups.get(),
                        SystemClock::Default());
  SnapshotEntry entry = Must(service.Create("bench"), "create");

  // Fresh store instances: nothing cached from the backup side.
  Stores target(dir, "target.db", SharedObjects(cfg));
  BackupStorage storage(target.backups.get());
  RestoreOptions options;
  options.snapshot_id = entry.id;
  RestorePlan plan;
  double restore = Seconds([&] {
    plan = Must(RestoreSnapshot(&storage, target.objects.get(), target.meta.get(), options),
                "restore");
  });
  std::unique_ptr<Cluster> cluster;
  double open = Seconds([&] {
    target.OpenWriter();
    cluster = Must(Cluster::Open(target.writer.get(), target.objects.get(), QuietOptions()),
                   "open cluster");
    if (Must(cluster->ListTables(), "list tables").size() != 1) Die("restored catalog differs");
  });
  if (cluster->Stats().levels.empty()) Die("no levels");
  Check(cluster->Close(), "close");
  std::printf(
      "restore  %7llu SSTs, %llu records: restore %.3f s + open %.3f s = %.3f s to "
      "readable (target <= 1 s)\n",
      static_cast<unsigned long long>(plan.sst_count),
      static_cast<unsigned long long>(plan.records), restore, open, restore + open);
  RestoreBreakdown(dir, SharedObjects(cfg), entry);
}

// data/<16 hex>.sst for ids 1..n under `root`, each a sparse file of the size
// SyntheticSst(id) records (no data blocks are written: only listed and stat'ed).
void CreateSizedObjects(const std::string& root, uint64_t n) {
  std::filesystem::create_directories(root + "/data");
  for (uint64_t id = 1; id <= n; ++id) {
    std::string path = root + "/" + SstObjectKey(id);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(bench::SyntheticSst(id).file_size)) != 0) {
      Die("create " + path);
    }
    close(fd);
  }
}

// The listing verify does at N SSTs, presence only vs presence + size, alternating on
// fresh store instances (no listing cache carried over), median of 6 each.
// The presence-only check of earlier versions (one listing, ids only): the baseline that
// the size check is measured against.
Status PresenceOnlyCheck(ObjectStore* objects, const std::vector<SnapshotSst>& wanted,
                         uint64_t* max_listed) {
  std::set<uint64_t> present;
  CAIRN_RETURN_IF_ERROR(ListAll(*objects, kSstObjectPrefix, [&](const ObjectMeta& meta) {
    uint64_t id = 0;
    if (ParseSstObjectKey(meta.key, &id))
      present.insert(id), *max_listed = std::max(*max_listed, id);
    return Status::OK();
  }));
  for (const auto& sst : wanted) {
    if (!present.count(sst.id)) return Status::NotFound(SstObjectKey(sst.id));
  }
  return Status::OK();
}

void RunVerify(const Config& cfg) {
  std::string dir = PartDir(cfg, "verify");
  CreateSizedObjects(dir + "/objects", cfg.verify_ssts);
  Stores st(dir, "meta.db", dir + "/objects");
  LoadSyntheticMeta(st.meta.get(), cfg.verify_ssts);
  st.OpenWriter();
  BackupService service(st.writer.get(), st.objects.get(), st.backups.get(),
                        SystemClock::Default());
  SnapshotEntry entry = Must(service.Create("bench"), "create");
  BackupStorage storage(st.backups.get());
  VerifiedSnapshot snapshot;
  double pass = Seconds([&] { snapshot = Must(VerifySnapshot(&storage, entry), "verify pass"); });
  if (snapshot.ssts.size() != cfg.verify_ssts) Die("snapshot lost SSTs");
  std::vector<double> presence, sizes, whole;
  auto listing = [&](bool with_sizes) {
    uint64_t max_listed = 0;
    auto objects = Must(OpenObjectStore("fs://" + dir + "/objects"), "open objects");
    return Seconds([&] {
      Check(with_sizes ? VerifySsts(objects.get(), snapshot.ssts, &max_listed)
                       : PresenceOnlyCheck(objects.get(), snapshot.ssts, &max_listed),
            with_sizes ? "size check" : "presence check");
    });
  };
  for (int round = 0; round < 6; ++round) {  // alternate which goes first
    bool sizes_first = round % 2 == 1;
    double first = listing(sizes_first), second = listing(!sizes_first);
    sizes.push_back(sizes_first ? first : second);
    presence.push_back(sizes_first ? second : first);
    auto objects = Must(OpenObjectStore("fs://" + dir + "/objects"), "open objects");
    BackupService fresh(st.writer.get(), objects.get(), st.backups.get(), SystemClock::Default());
    whole.push_back(Seconds([&] { Must(fresh.Verify(entry.id), "BackupService::Verify"); }));
  }
  std::printf(
      "verify   %7llu SSTs: listing with size check %.3f s vs presence only %.3f s = %.2fx; "
      "snapshot pass (decodes every SstMeta) %.3f s; BackupService::Verify %.3f s\n",
      static_cast<unsigned long long>(cfg.verify_ssts), Median(sizes), Median(presence),
      Median(sizes) / Median(presence), pass, Median(whole));
}

// The vacuum part's version holds this many SSTs; its stale SSTs come after them.
constexpr uint64_t kVacuumLiveSsts = 1000;

void RunVacuum(const Config& cfg) {
  std::string dir = PartDir(cfg, "vacuum");
  Stores st(dir, "meta.db", SharedObjects(cfg));
  const uint64_t live = kVacuumLiveSsts;
  LoadSyntheticMeta(st.meta.get(), live, cfg.vacuum_ssts, cfg.vacuum_pins);
  st.OpenWriter();
  auto cluster = Must(Cluster::Open(st.writer.get(), st.objects.get(), QuietOptions()), "open");
  VacuumReport report, full_report;
  double vacuum = Seconds([&] { report = Must(cluster->Vacuum({}), "vacuum"); });
  double full = Seconds([&] { full_report = Must(cluster->Vacuum({true, true}), "full vacuum"); });
  Check(cluster->Close(), "close");
  DeletionGate gate(st.meta.get(), DeletionGateOptions{SystemClock::Default(), 0, 0});
  uint64_t kept = 0;
  double gate_only = Seconds([&] {
    Check(gate.Refresh(), "refresh gate");
    std::string reason;
    for (uint64_t id = live + 1; id <= live + cfg.vacuum_ssts; ++id) {
      kept +=
          !gate.MayDelete(DeletionCandidate{id, SstObjectKey(id), kBaseEpoch + id * 8, 0}, &reason);
    }
  });
  std::printf("vacuum   DeletionGate::Refresh + %llu MayDelete alone: %.3f s (%llu kept)\n",
              static_cast<unsigned long long>(cfg.vacuum_ssts), gate_only,
              static_cast<unsigned long long>(kept));
  if (report.kept_by_gate != cfg.vacuum_ssts || report.deleted != 0) Die("pins did not hold");
  std::printf(
      "vacuum   %7llu stale SSTs, %llu pins: Cluster::Vacuum %.3f s (target <= 1 s), "
      "%llu kept by the gate; full vacuum --dry-run (also lists %llu objects) %.3f s\n",
      static_cast<unsigned long long>(cfg.vacuum_ssts),
      static_cast<unsigned long long>(cfg.vacuum_pins), vacuum,
      static_cast<unsigned long long>(report.kept_by_gate),
      static_cast<unsigned long long>(cfg.shared_objects), full);
}

constexpr size_t kEngineValue = 4000;

std::string EngineKey(uint64_t i) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(i * 0x9E3779B97F4A7C15ull));
  return std::string(buf, 16);
}

// Incompressible values, like most user payloads after compression.
std::string EngineValue(Random* rnd) {
  std::string v(kEngineValue, '\0');
  for (size_t i = 0; i + 8 <= v.size(); i += 8) {
    uint64_t x = rnd->Next();
    std::memcpy(v.data() + i, &x, 8);
  }
  return v;
}

void RunEngine(const Config& cfg) {
  std::string dir = PartDir(cfg, "engine");
  uint64_t rows = (cfg.engine_mib << 20) / (kEngineValue + 16);
  Stores st(dir, "meta.db", dir + "/objects");
  st.OpenWriter();
  ClusterOptions options;
  auto cluster = Must(Cluster::Open(st.writer.get(), st.objects.get(), options), "open");
  uint32_t table = Must(cluster->CreateTable("t"), "create table").id;
  Random rnd(7);
  double load = Seconds([&] {
    WriteBatch batch;
    for (uint64_t i = 0; i < rows; ++i) {
      batch.Put(table, EngineKey(i), EngineValue(&rnd));
      if (batch.size() == 256 || i + 1 == rows) {
        Must(cluster->Write(batch, false), "write");
        batch.Clear();
      }
    }
    Must(cluster->Flush(), "flush");
  });
  BackupService service(st.writer.get(), st.objects.get(), st.backups.get(),
                        SystemClock::Default());
  SnapshotEntry entry;
  std::vector<double> times;
  for (int i = 0; i < 3; ++i)
    times.push_back(Seconds([&] { entry = Must(service.Create(""), "create"); }));
  Check(cluster->Close(), "close");
  double rocks = bench::RocksDbBackup(dir, rows, EngineKey, EngineValue);
  std::printf(
      "engine   %llu rows x %zu B (%.0f MiB, loaded in %.1f s, %llu SSTs, %.0f MiB in "
      "SSTs): cairn backup %.3f s vs RocksDB BackupEngine %.3f s = %.0fx faster "
      "(target >= 100x)\n",
      static_cast<unsigned long long>(rows), kEngineValue + 16,
      rows * (kEngineValue + 16) / 1048576.0, load,
      static_cast<unsigned long long>(entry.sst_count), entry.sst_bytes / 1048576.0, Median(times),
      rocks, rocks / Median(times));
}

// Rows per second a writer achieves in `seconds`, with or without a backup loop.
struct WriteRun {
  double rows_per_s = 0;
  uint64_t backups = 0;
  uint64_t checkpoints = 0;
  double backup_cpu_s = 0;  // CPU time of the backup thread
  // Summed phase times of the backups (ms): purge, pin, cut, narrow, publish.
  double phases_ms[5] = {0, 0, 0, 0, 0};
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

WriteRun WriteRate(const std::string& dir, double seconds, bool backups, int64_t gap_ms) {
  WriteRun run;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Stores st(dir, "meta.db", dir + "/objects");
  st.OpenWriter();
  ClusterOptions options;
  options.checkpoint_interval_ms = 200;
  auto cluster = Must(Cluster::Open(st.writer.get(), st.objects.get(), options), "open");
  uint32_t table = Must(cluster->CreateTable("t"), "create table").id;
  BackupService service(st.writer.get(), st.objects.get(), st.backups.get(),
                        SystemClock::Default());
  std::atomic<bool> stop{false};
  std::thread backup_loop([&] {
    double cpu_start = ThreadCpuSeconds();
    while (backups && !stop) {
      Must(service.Create(""), "create");
      ++run.backups;
      BackupMetrics m = service.metrics();
      double phases[5] = {m.last_purge_ms, m.last_pin_ms, m.last_cut_ms, m.last_narrow_ms,
                          m.last_publish_ms};
      for (int i = 0; i < 5; ++i) run.phases_ms[i] += phases[i];
      std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    run.backup_cpu_s = ThreadCpuSeconds() - cpu_start;
  });
  Random rnd(11);
  std::string value(100, 'v');
  uint64_t rows = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) batch.Put(table, EngineKey(rnd.Next()), value);
    Must(cluster->Write(batch, false), "write");
    rows += batch.size();
  }
  Must(cluster->Flush(), "flush");  // durable: count only what was committed
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  backup_loop.join();
  run.checkpoints = cluster->Stats().checkpoints;
  Check(cluster->Close(), "close");
  run.rows_per_s = rows / elapsed;
  return run;
}

void RunThroughput(const Config& cfg) {
  std::string dir = PartDir(cfg, "tput");
  double without = 0, with = 0;
  for (int round = 0; round < 3; ++round) {  // alternate so both see the same load
    WriteRun a = WriteRate(dir + "/run", cfg.tput_seconds, false, 0);
    WriteRun b = WriteRate(dir + "/run", cfg.tput_seconds, true, cfg.tput_backup_gap_ms);
    std::printf(
        "tput     round %d: %.0f rows/s (%llu checkpoints) without backups, %.0f rows/s "
        "(%llu checkpoints) with %llu backups %lld ms apart\n",
        round + 1, a.rows_per_s, static_cast<unsigned long long>(a.checkpoints), b.rows_per_s,
        static_cast<unsigned long long>(b.checkpoints), static_cast<unsigned long long>(b.backups),
        static_cast<long long>(cfg.tput_backup_gap_ms));
    double n = std::max<double>(1, b.backups);
    std::printf(
        "tput     round %d: per backup %.2f ms CPU of the backup thread; phases (ms, mean) purge "
        "%.2f, id+pin %.2f, cut %.2f, narrowed pin %.2f, manifest %.2f\n",
        round + 1, 1000 * b.backup_cpu_s / n, b.phases_ms[0] / n, b.phases_ms[1] / n,
        b.phases_ms[2] / n, b.phases_ms[3] / n, b.phases_ms[4] / n);
    without += a.rows_per_s;
    with += b.rows_per_s;
  }
  std::printf("tput     with backups / without = %.1f%% (target >= 95%%)\n",
              100.0 * with / without);
}

std::vector<uint64_t> ParseList(const std::string& text) {
  std::vector<uint64_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoull(item));
  return out;
}

Config ParseArgs(int argc, char** argv) {
  Config cfg;
  const char* tmp = std::getenv("TMPDIR");
  cfg.dir = std::string(tmp ? tmp : "/tmp") + "/backup_bench-" + std::to_string(getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir")
      cfg.dir = value;
    else if (flag == "--parts")
      cfg.parts = value;
    else if (flag == "--list-objects")
      cfg.list_objects = std::stoull(value);
    else if (flag == "--create-ssts")
      cfg.create_ssts = ParseList(value);
    else if (flag == "--restore-ssts")
      cfg.restore_ssts = std::stoull(value);
    else if (flag == "--verify-ssts")
      cfg.verify_ssts = std::stoull(value);
    else if (flag == "--vacuum-ssts")
      cfg.vacuum_ssts = std::stoull(value);
    else if (flag == "--vacuum-pins")
      cfg.vacuum_pins = std::stoull(value);
    else if (flag == "--engine-mib")
      cfg.engine_mib = std::stoull(value);
    else if (flag == "--tput-backup-gap-ms")
      cfg.tput_backup_gap_ms = std::stoll(value);
    else if (flag == "--tput-seconds")
      cfg.tput_seconds = std::stod(value);
    else
      Die("unknown flag " + flag);
  }
  if (argc % 2 == 0) Die("every flag takes a value");
  return cfg;
}

bool Wants(const Config& cfg, const std::string& part) {
  return ("," + cfg.parts + ",").find("," + part + ",") != std::string::npos;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  using namespace cairn;
  Config cfg = ParseArgs(argc, argv);
  if (Wants(cfg, "list")) cfg.shared_objects = cfg.list_objects;
  if (Wants(cfg, "restore")) cfg.shared_objects = std::max(cfg.shared_objects, cfg.restore_ssts);
  if (Wants(cfg, "vacuum")) {
    cfg.shared_objects = std::max(cfg.shared_objects, kVacuumLiveSsts + cfg.vacuum_ssts);
  }
  std::filesystem::create_directories(cfg.dir);
  double total = Seconds([&] {
    if (Wants(cfg, "list")) RunList(cfg);
    if (Wants(cfg, "create")) {
      RunCreateFixed(cfg);
      for (uint64_t n : cfg.create_ssts) RunCreate(cfg, n);
    }
    if (Wants(cfg, "restore")) RunRestore(cfg);
    if (Wants(cfg, "verify")) RunVerify(cfg);
    if (Wants(cfg, "vacuum")) RunVacuum(cfg);
    if (Wants(cfg, "engine")) RunEngine(cfg);
    if (Wants(cfg, "tput")) RunThroughput(cfg);
  });
  std::filesystem::remove_all(cfg.dir);
  std::printf("total    %.1f s\n", total);
  return 0;
}
