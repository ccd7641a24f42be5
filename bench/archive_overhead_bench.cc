// archive_overhead_bench: engine write throughput with a ChangelogArchiver running vs
// without, in one run. Rounds alternate (without, with, without, ...) so both sides see
// the same background load on a shared machine.
//
//   archive_overhead_bench [--seconds S] [--rounds R] [--checkpoint-ms MS] [--dir DIR]
//
// Each measurement opens a fresh Cluster (sqlite:// meta, fs:// data, background
// threads on, checkpoint_interval_ms MS, default 1000) in a temp dir and writes batches
// of 100 rows (16-byte random keys, 100-byte values, Write(wait=false)) for S seconds,
// then Flush()es so only durable rows count. "With" runs ChangelogArchiver::Start(MS)
// (the server archives every checkpoint interval) into fs:// backup storage with
// pitr_retention 0, so every pass also trims what it archived (the steady-state trim
// volume of a server whose retention window is full).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "backup/changelog_archive.h"
#include "bench_util.h"
#include "common/random.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/cluster.h"

namespace cairn {
namespace {

using bench::Check;
using bench::Die;
using bench::Must;

using Clock = std::chrono::steady_clock;

struct Config {
  std::string dir;
  double seconds = 10;
  int rounds = 3;
  int64_t checkpoint_ms = 1000;
};

struct WriteRun {
  double rows_per_s = 0;
  uint64_t checkpoints = 0;
  ArchiverMetrics archiver;
};

std::string RandomKey(Random* rnd) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rnd->Next()));
  return std::string(buf, 16);
}

WriteRun WriteRate(const Config& cfg, bool archive) {
  std::string dir = cfg.dir + "/run";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto meta = Must(OpenMetaStore("sqlite://" + dir + "/meta.db"), "open meta");
  auto objects = Must(OpenObjectStore("fs://" + dir + "/objects"), "open objects");
  auto backups = Must(OpenObjectStore("fs://" + dir + "/backup"), "open backup storage");
  MetaWriter writer(meta.get(), SystemClock::Default());
  Check(writer.Open(), "open meta writer");
  ClusterOptions options;
  options.background_threads = true;
  options.checkpoint_interval_ms = cfg.checkpoint_ms;
  auto cluster = Must(Cluster::Open(&writer, objects.get(), options), "open cluster");
  uint32_t table = Must(cluster->CreateTable("t"), "create table").id;
  ChangelogArchiverOptions archiver_options;
  archiver_options.pitr_retention_ms = 0;
  ChangelogArchiver archiver(meta.get(), backups.get(), archiver_options);
  if (archive) archiver.Start(cfg.checkpoint_ms);

  Random rnd(11);
  std::string value(100, 'v');
  uint64_t rows = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(cfg.seconds);
  while (Clock::now() < end) {
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) batch.Put(table, RandomKey(&rnd), value);
    Must(cluster->Write(batch, false), "write");
    rows += batch.size();
  }
  Must(cluster->Flush(), "flush");  // durable: count only what was committed
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  WriteRun run;
  run.rows_per_s = rows / elapsed;
  run.checkpoints = cluster->Stats().checkpoints;
  if (archive) {
    archiver.Stop();
    run.archiver = archiver.metrics();
  }
  Check(cluster->Close(), "close");
  return run;
}

Config ParseArgs(int argc, char** argv) {
  Config cfg;
  const char* tmp = std::getenv("TMPDIR");
  cfg.dir = std::string(tmp ? tmp : "/tmp") + "/archive_overhead_bench-" + std::to_string(getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--seconds") {
      cfg.seconds = std::stod(value);
    } else if (flag == "--rounds") {
      cfg.rounds = std::stoi(value);
    } else if (flag == "--checkpoint-ms") {
      cfg.checkpoint_ms = std::stoll(value);
    } else if (flag == "--dir") {
      cfg.dir = value;
    } else {
      Die("unknown flag " + flag);
    }
  }
  if (argc % 2 == 0) Die("every flag takes a value");
  return cfg;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  using namespace cairn;
  Config cfg = ParseArgs(argc, argv);
  std::filesystem::create_directories(cfg.dir);
  std::printf(
      "%d rounds x %.0f s per side, checkpoint_interval_ms %lld, archiver interval %lld ms\n",
      cfg.rounds, cfg.seconds, static_cast<long long>(cfg.checkpoint_ms),
      static_cast<long long>(cfg.checkpoint_ms));
  double without = 0, with = 0;
  for (int round = 1; round <= cfg.rounds; ++round) {
    WriteRun a = WriteRate(cfg, false);
    WriteRun b = WriteRate(cfg, true);
    std::printf(
        "round %d: without %.0f rows/s (%llu checkpoints), with %.0f rows/s (%llu "
        "checkpoints; archiver %llu runs, %llu records archived, %llu trimmed, %llu "
        "failures)\n",
        round, a.rows_per_s, static_cast<unsigned long long>(a.checkpoints), b.rows_per_s,
        static_cast<unsigned long long>(b.checkpoints),
        static_cast<unsigned long long>(b.archiver.runs),
        static_cast<unsigned long long>(b.archiver.records_archived),
        static_cast<unsigned long long>(b.archiver.records_trimmed),
        static_cast<unsigned long long>(b.archiver.failures));
    std::fflush(stdout);
    without += a.rows_per_s;
    with += b.rows_per_s;
  }
  std::filesystem::remove_all(cfg.dir);
  std::printf(
      "mean: without %.0f rows/s, with archiver %.0f rows/s, overhead %.1f%% (target <= 5%%)\n",
      without / cfg.rounds, with / cfg.rounds, 100.0 * (1.0 - with / without));
  return 0;
}
