// backup_read_bench: `scan --as-of T` served from a backup vs from the live version, in
// one run (issue 16; goal: backup >= 0.8x live).
//
//   backup_read_bench [--rows N] [--value-size B] [--rounds R] [--dir DIR]
//
// One Cluster (sqlite:// meta, fs:// data in a temp dir, pitr_retention 1h so the live
// version still serves T) is loaded with N rows (16-byte keys, B-byte values) in
// checkpoints of 10,000 rows, compacted, backed up to fs:// backup storage, then
// overwritten once more (so T is in the past for the live read too). Each round scans the
// whole table as of T, once live (Cluster::Scan with as_of_epoch T) and once the way the
// server serves a read older than the window (BackupReader::AtEpoch: manifest load, the
// cached decoded version, FrozenVersion::Scan), alternating which goes first. The first
// round warms both caches and is not counted. Prints rows/s of each and backup/live.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "backup/backup_reader.h"
#include "backup/backup_service.h"
#include "bench_util.h"
#include "common/epoch.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/cluster.h"

namespace cairn {
namespace {

using bench::Check;
using bench::Die;
using bench::Must;
using Steady = std::chrono::steady_clock;

struct Config {
  std::string dir;
  uint64_t rows = 200'000;
  size_t value_size = 100;
  int rounds = 5;
};

std::string Key(uint64_t i) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(i * 2654435761ull));
  return std::string(buf, 16);
}

// Rows scanned per second; dies unless the scan returns `expect` rows.
double Rate(ScanIterator* it, uint64_t expect, Steady::time_point start) {
  uint64_t n = 0, bytes = 0;
  for (; it->Valid(); it->Next()) {
    ++n;
    bytes += it->key().size() + it->value().size();
  }
  Check(it->status(), "scan");
  double s = std::chrono::duration<double>(Steady::now() - start).count();
  if (n != expect)
    Die("scan returned " + std::to_string(n) + " rows, expected " + std::to_string(expect));
  return n / s;
}

int Run(const Config& cfg) {
  std::filesystem::create_directories(cfg.dir);
  auto meta = Must(OpenMetaStore("sqlite://" + cfg.dir + "/meta.db"), "meta store");
  auto objects = Must(OpenObjectStore("fs://" + cfg.dir + "/data"), "object store");
  auto backups = Must(OpenObjectStore("fs://" + cfg.dir + "/backup"), "backup storage");
  MetaWriter writer(meta.get(), SystemClock::Default());
  Check(writer.Open(), "meta writer");
  Random random(1);
  std::string cluster_id = Must(EnsureClusterId(&writer, &random), "cluster id");
  ClusterOptions options;
  options.background_threads = false;
  options.pitr_retention_ms = 3600 * 1000;
  auto cluster = Must(Cluster::Open(&writer, objects.get(), options), "cluster");
  uint32_t table = Must(cluster->CreateTable("t"), "create table").id;
  std::string value(cfg.value_size, 'v');
  for (uint64_t i = 0; i < cfg.rows;) {
    WriteBatch batch;
    for (uint64_t end = std::min(cfg.rows, i + 10'000); i < end; ++i)
      batch.Put(table, Key(i), value);
    Check(cluster->Write(batch, /*wait=*/false).status(), "write");
    Check(cluster->Flush().status(), "flush");
    Check(cluster->CompactPending(), "compaction");  // no background threads here
  }
  Check(cluster->Compact(), "compact");
  BackupService service(&writer, objects.get(), backups.get(), SystemClock::Default());
  SnapshotEntry entry = Must(service.Create("bench"), "backup");
  uint64_t at = MaxEpochAtMillis(SystemClock::Default()->NowMillis());
  WriteBatch later;
  for (uint64_t i = 0; i < cfg.rows; i += 10) later.Put(table, Key(i), "newer");
  Check(cluster->Write(later, /*wait=*/true).status(), "overwrite");
  Check(cluster->Flush().status(), "flush");

  BackupReader reader(backups.get(), objects.get(), meta.get(), cluster_id);
  double live_sum = 0, backup_sum = 0;
  for (int round = 0; round <= cfg.rounds; ++round) {
    double live = 0, from_backup = 0;
    for (int side = 0; side < 2; ++side) {
      bool backup_side = (side == 0) == (round % 2 == 0);
      auto start = Steady::now();
      if (backup_side) {
        ServedBackup served =
            Must(reader.AtEpoch(at, cluster->oldest_as_of_epoch()), "backup read");
        if (served.entry.id != entry.id) Die("served from the wrong backup");
        uint32_t id = Must(served.view->FindTable("t"), "table at the cut").id;
        auto it = Must(served.view->Scan(id, "", ""), "backup scan");
        from_backup = Rate(it.get(), cfg.rows, start);
      } else {
        auto it = Must(cluster->Scan(table, "", "", {at}), "live scan");
        live = Rate(it.get(), cfg.rows, start);
      }
    }
    std::printf("round %d%s: live %.0f rows/s, backup %.0f rows/s, backup/live %.2f\n", round,
                round == 0 ? " (warm-up)" : "", live, from_backup, from_backup / live);
    if (round > 0) {
      live_sum += live;
      backup_sum += from_backup;
    }
  }
  std::printf(
      "rows %llu x %zu B, %d rounds: live %.0f rows/s, backup %.0f rows/s, "
      "backup/live %.2f (snapshot files read: %llu)\n",
      static_cast<unsigned long long>(cfg.rows), cfg.value_size, cfg.rounds, live_sum / cfg.rounds,
      backup_sum / cfg.rounds, backup_sum / live_sum,
      static_cast<unsigned long long>(reader.snapshot_reads()));
  Check(cluster->Close(), "close");
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  cairn::Config cfg;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rows")
      cfg.rows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--value-size")
      cfg.value_size = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--rounds")
      cfg.rounds = std::atoi(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else
      cairn::bench::Die("unknown flag " + flag);
  }
  if (cfg.rows == 0 || cfg.rounds <= 0) cairn::bench::Die("--rows and --rounds must be positive");
  bool temp = dir.empty();
  if (temp) {
    dir =
        (std::filesystem::temp_directory_path() / ("backup_read_bench." + std::to_string(getpid())))
            .string();
  }
  cfg.dir = dir;
  int rc = cairn::Run(cfg);
  if (temp) std::filesystem::remove_all(dir);
  return rc;
}
