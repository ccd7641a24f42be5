// copy_backup_bench: self-contained backups (`backup create --copy-data`) against the
// disk, in one run, on fs:// object store and backup storage under --dir:
//
//   first    the first --copy-data backup of a loaded dataset vs `cp -r` of its SSTs
//            (each copied file fsynced, as the fs store does) and vs RocksDB
//            BackupEngine::CreateNewBackup of the same rows
//   second   a second --copy-data backup after --change-pct % of the rows were rewritten:
//            bytes copied vs bytes of the SSTs written since the first backup
//   restore  RestoreSnapshot into an empty object store (copies every SST back) vs
//            `cp -r` of the copies back (fsynced)
//
//   copy_backup_bench [--dir DIR] [--mib M (1024)] [--change-pct P (5)] [--threads T (4)]
//                     [--rounds R (3): medians of R alternating runs of first and restore]
//
// The page cache is not dropped (the machine is shared): every side reads what was just
// written, so all three sides are measured warm, side by side.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "backup/sst_copy.h"
#include "bench_util.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "rocksdb_backup.h"
#include "storage/cluster.h"

namespace cairn::bench {
namespace {

namespace fs = std::filesystem;

struct Config {
  std::string dir = "/tmp/copy_backup_bench";
  uint64_t mib = 1024;
  double change_pct = 5;
  int threads = 4;
  int rounds = 3;  // first backup and restore: medians of this many alternating runs
};

constexpr size_t kValue = 4000;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Seconds(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Key(uint64_t i) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(i * 0x9E3779B97F4A7C15ull));
  return std::string(buf, 16);
}

// Incompressible values, like most user payloads after compression.
std::string Value(Random* rnd) {
  std::string v(kValue, '\0');
  for (size_t i = 0; i + 8 <= v.size(); i += 8) {
    uint64_t x = rnd->Next();
    std::memcpy(v.data() + i, &x, 8);
  }
  return v;
}

void Shell(const std::string& command) {
  if (std::system(command.c_str()) != 0) Die("command failed: " + command);
}

// `cp -r FROM TO`, then fsync every copied file (coreutils `sync FILE...`).
double CpR(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  return Seconds(
      [&] { Shell("cp -r " + from + " " + to + " && find " + to + " -type f -exec sync {} +"); });
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void Write(Cluster* cluster, uint32_t table, uint64_t from, uint64_t to, uint64_t stride,
           Random* rnd) {
  WriteBatch batch;
  uint64_t batches = 0;
  for (uint64_t i = from; i < to; i += stride) {
    batch.Put(table, Key(i), Value(rnd));
    if (batch.size() == 256) {
      Must(cluster->Write(batch, false), "write");
      batch.Clear();
      // No background threads: flush every 64 MiB (16k rows), one SST each.
      if (++batches % 64 == 0) Must(cluster->Flush(), "flush");
    }
  }
  if (batch.size() > 0) Must(cluster->Write(batch, false), "write");
  Must(cluster->Flush(), "flush");
}

void Run(const Config& cfg) {
  fs::remove_all(cfg.dir);
  fs::create_directories(cfg.dir);
  const std::string objects_dir = cfg.dir + "/objects", backup_dir = cfg.dir + "/backup";
  auto meta = Must(OpenMetaStore("sqlite://" + cfg.dir + "/meta.db"), "open meta");
  auto objects = Must(OpenObjectStore("fs://" + objects_dir), "open objects");
  auto backups = Must(OpenObjectStore("fs://" + backup_dir), "open backup storage");
  MetaWriter writer(meta.get(), SystemClock::Default());
  Check(writer.Open(), "open meta writer");
  Random id_rnd(1);
  Must(EnsureClusterId(&writer, &id_rnd), "cluster id");
  ClusterOptions options;
  options.background_threads = false;  // no compaction: the SSTs stay what was written
  auto cluster = Must(Cluster::Open(&writer, objects.get(), options), "open");
  uint32_t table = Must(cluster->CreateTable("t"), "create table").id;
  const uint64_t rows = (cfg.mib << 20) / (kValue + 16);
  Random rnd(7);
  double load = Seconds([&] { Write(cluster.get(), table, 0, rows, 1, &rnd); });
  BackupService service(&writer, objects.get(), backups.get(), SystemClock::Default());

  // first: cp -r vs --copy-data (alternating, --rounds times, each into a fresh backup
  // storage; the last one is the one the next parts build on) vs RocksDB BackupEngine.
  std::vector<double> cps, copies;
  SnapshotEntry first;
  for (int r = 0; r < cfg.rounds; ++r) {
    cps.push_back(CpR(objects_dir + "/data", cfg.dir + "/cp-copy"));
    fs::remove_all(cfg.dir + "/cp-copy");
    bool last = r + 1 == cfg.rounds;
    std::string scratch = cfg.dir + "/first-" + std::to_string(r);
    auto scratch_store = Must(OpenObjectStore("fs://" + scratch), "open scratch");
    BackupService scratch_service(&writer, objects.get(), scratch_store.get(),
                                  SystemClock::Default());
    BackupService* svc = last ? &service : &scratch_service;
    copies.push_back(Seconds([&] {
      first =
          Must(svc->Create("first", {.copy_data = true, .copy_threads = cfg.threads}), "create");
    }));
    if (!last) Check(scratch_service.Delete(first.id), "delete scratch backup");
    fs::remove_all(scratch);
  }
  const double cp = Median(cps), copy = Median(copies);
  const double mib = first.sst_bytes / 1048576.0;
  std::printf(
      "dataset  %llu rows x %zu B, %llu SSTs, %.0f MiB in SSTs (loaded in %.1f s)\n"
      "first    (median of %d) --copy-data %.2f s (%.0f MiB/s) vs cp -r %.2f s (%.0f MiB/s): %.2fx "
      "of cp "
      "throughput (goal >= 0.9x)\n",
      static_cast<unsigned long long>(rows), kValue + 16,
      static_cast<unsigned long long>(first.sst_count), mib, load, cfg.rounds, copy, mib / copy, cp,
      mib / cp, cp / copy);
  fs::remove_all(cfg.dir + "/cp-copy");

  // second: rewrite change_pct % of the rows (spread over the key space).
  std::set<std::string> before = Files(objects_dir + "/data");
  uint64_t stride = static_cast<uint64_t>(100 / cfg.change_pct);
  Write(cluster.get(), table, 0, rows, stride, &rnd);
  uint64_t changed_rows = (rows + stride - 1) / stride;
  uint64_t new_sst_bytes = 0;
  for (const auto& name : Files(objects_dir + "/data")) {
    if (!before.count(name)) new_sst_bytes += fs::file_size(objects_dir + "/data/" + name);
  }
  SnapshotEntry second;
  double copy2 = Seconds([&] {
    second =
        Must(service.Create("second", {.copy_data = true, .copy_threads = cfg.threads}), "create");
  });
  std::printf(
      "second   %.1f%% of rows rewritten (%llu rows, %.1f MiB logical; %.1f MiB in new SSTs): "
      "copied %.1f MiB (%llu SSTs) in %.2f s = %.3fx the new SST bytes (goal within +-5%%), "
      "%.3fx the logical change\n",
      cfg.change_pct, static_cast<unsigned long long>(changed_rows),
      changed_rows * (kValue + 16) / 1048576.0, new_sst_bytes / 1048576.0,
      second.copy.added_bytes / 1048576.0, static_cast<unsigned long long>(second.copy.added_ssts),
      copy2, static_cast<double>(second.copy.added_bytes) / new_sst_bytes,
      static_cast<double>(second.copy.added_bytes) / (changed_rows * (kValue + 16)));
  Check(cluster->Close(), "close");

  // restore: into an empty object store vs cp -r of the copies back, alternating.
  std::vector<double> cp_backs, restores;
  RestorePlan plan;
  for (int r = 0; r < cfg.rounds; ++r) {
    cp_backs.push_back(CpR(backup_dir + "/sst", cfg.dir + "/cp-back"));
    fs::remove_all(cfg.dir + "/cp-back");
    std::string name = cfg.dir + "/restored-" + std::to_string(r);
    auto target = Must(OpenMetaStore("sqlite://" + name + ".db"), "open target");
    auto empty = Must(OpenObjectStore("fs://" + name), "open empty store");
    BackupStorage storage(backups.get());
    RestoreOptions ro;
    ro.snapshot_id = second.id;
    ro.copy_threads = cfg.threads;
    restores.push_back(Seconds(
        [&] { plan = Must(RestoreSnapshot(&storage, empty.get(), target.get(), ro), "restore"); }));
    fs::remove_all(name);
  }
  const double cp_back = Median(cp_backs), restore = Median(restores);
  // The copy alone (what restore adds to a metadata restore): CopySstsBack into an empty
  // store, from the second backup's copy list.
  std::vector<double> copy_backs;
  {
    BackupStorage storage(backups.get());
    auto list = Must(ReadCopyList(backups.get(), second.copy.list), "read copy list");
    std::vector<SnapshotSst> ssts;
    for (const auto& c : list) ssts.push_back({c.id, c.size});
    for (int r = 0; r < cfg.rounds; ++r) {
      std::string name = cfg.dir + "/copied-back-" + std::to_string(r);
      auto empty = Must(OpenObjectStore("fs://" + name), "open empty store");
      copy_backs.push_back(Seconds([&] {
        Must(CopySstsBack(backups.get(), empty.get(), ssts, list, "bench", false,
                          {cfg.threads, nullptr}),
             "copy back");
      }));
      fs::remove_all(name);
    }
  }
  const double copy_back = Median(copy_backs);
  const double back_mib = plan.copied_bytes / 1048576.0;
  const double cp_back_mib = DirBytes(backup_dir + "/sst") / 1048576.0;
  std::printf(
      "restore  (median of %d) into an empty object store: %llu SSTs, %.0f MiB in %.2f s (%.0f "
      "MiB/s) vs cp -r "
      "back %.0f MiB in %.2f s (%.0f MiB/s): %.2fx of cp throughput (goal >= 0.9x)\n",
      cfg.rounds, static_cast<unsigned long long>(plan.copied_ssts), back_mib, restore,
      back_mib / restore, cp_back_mib, cp_back, cp_back_mib / cp_back,
      (back_mib / restore) / (cp_back_mib / cp_back));

  std::printf(
      "copyback (median of %d) the copy alone (CopySstsBack): %.2f s (%.0f MiB/s): %.2fx of cp "
      "throughput\n",
      cfg.rounds, copy_back, back_mib / copy_back,
      (back_mib / copy_back) / (cp_back_mib / cp_back));
  double rocks = RocksDbBackup(cfg.dir, rows, Key, Value, /*background_operations=*/4);
  std::printf(
      "rocksdb  BackupEngine::CreateNewBackup of the same %llu rows: %.2f s (%.0f MiB/s); "
      "first --copy-data is %.2fx its throughput\n",
      static_cast<unsigned long long>(rows), rocks,
      DirBytes(cfg.dir + "/rocksdb-backup") / 1048576.0 / rocks,
      (mib / copy) / (DirBytes(cfg.dir + "/rocksdb-backup") / 1048576.0 / rocks));
  fs::remove_all(cfg.dir);
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  cairn::bench::Config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") {
      cfg.dir = value;
    } else if (flag == "--mib") {
      cfg.mib = std::stoull(value);
    } else if (flag == "--change-pct") {
      cfg.change_pct = std::stod(value);
    } else if (flag == "--rounds") {
      cfg.rounds = std::max(1, std::stoi(value));
    } else if (flag == "--threads") {
      cfg.threads = std::stoi(value);
    } else {
      cairn::bench::Die("unknown flag " + flag);
    }
  }
  if (argc % 2 == 0) cairn::bench::Die("flags take a value");
  cairn::bench::Run(cfg);
}
