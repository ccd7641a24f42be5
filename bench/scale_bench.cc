// scale_bench: a cluster whose version references N SSTs (default 1,000,000), every
// phase an operator runs at that size, with its time, its peak RSS and a physical limit
// measured in the same run.
//
//   scale_bench [--ssts N] [--stale S] [--pins P] [--dir DIR]
//               [--env FILE --store sqlite|postgres|etcd]
//
//   open     MetaWriter::Open + Cluster::Open (the version loaded into memory) vs reading
//            the meta store's bytes: one snapshot Range of every key (and, on sqlite, a
//            sequential read of the database file)
//   create   BackupService::Create vs one Range of every key + writing the snapshot's
//            byte count to backup storage
//   restore  RestoreSnapshot into a fresh store + MetaWriter::Open + Cluster::Open +
//            ListTables (restore to readable) vs `cp` of the snapshot file (read + write
//            + fsync) + the listing of data/ (restore checks every SST's size)
//   vacuum   Cluster::Vacuum with P backups' pins protecting S stale SSTs, then a full
//            vacuum (lists data/, N + S objects) vs the listing alone
//
// Peak RSS per phase: VmHWM is reset (echo 5 > /proc/self/clear_refs) before each phase
// and read after it; "+peak" is VmHWM minus VmRSS at the phase's start.
//
// Synthesis (cheap, not measured): LoadSyntheticMeta writes N storage/sst/<id>
// (EncodeSstMeta of random 16-byte-key SSTs at level 1, every 16th at level 0, sizes in
// 64 classes), S stale
// keys, P pins (backup/pin/<id>, each protecting every stale SST), a version header,
// catalog and ids, through the restore batch writer (txns sized by BulkTxnLimits); the
// N + S objects data/<16 hex>.sst are hard links to 64 sparse files, one per size class
// (link(2): no inode, no data blocks, no fsync): restore checks names and sizes only.
// With --env/--store, the source and target meta stores are postgres or etcd from
// scripts/test-servers.sh's env file instead of sqlite files in DIR.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "bench_util.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/cluster.h"
#include "synthetic_meta.h"

namespace cairn {
namespace {

using bench::Check;
using bench::Die;
using bench::LoadSyntheticMeta;
using bench::Must;
using bench::ReadEnvFile;

using Clock = std::chrono::steady_clock;

double Seconds(const std::function<void()>& fn) {
  auto start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A field of /proc/self/status in KiB (VmRSS, VmHWM).
uint64_t StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  Die("no " + field + " in /proc/self/status");
}

// One phase's time and memory: VmHWM reset at the start, read at the end.
struct Phase {
  double seconds = 0;
  double cpu = 0;  // user + system CPU seconds of the process (the VM is shared)
  uint64_t start_kb = 0;
  uint64_t peak_kb = 0;
};

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

Phase Measure(const std::function<void()>& fn) {
  std::ofstream("/proc/self/clear_refs") << "5";
  Phase p;
  p.start_kb = StatusKb("VmRSS");
  double cpu = CpuSeconds();
  p.seconds = Seconds(fn);
  p.cpu = CpuSeconds() - cpu;
  p.peak_kb = StatusKb("VmHWM");
  return p;
}

std::string Mib(uint64_t kb) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", kb / 1024.0);
  return buf;
}

void Report(const char* name, const Phase& p, double limit, const std::string& limit_what,
            uint64_t ssts) {
  uint64_t extra = p.peak_kb > p.start_kb ? p.peak_kb - p.start_kb : 0;
  std::printf("%-8s %.3f s (cpu %.3f s)", name, p.seconds, p.cpu);
  if (limit > 0) std::printf(" vs %s %.3f s = %.2fx", limit_what.c_str(), limit, p.seconds / limit);
  std::printf("; RSS at start %s, peak %s (+%s = %.0f bytes/SST)\n", Mib(p.start_kb).c_str(),
              Mib(p.peak_kb).c_str(), Mib(extra).c_str(), extra * 1024.0 / ssts);
}

// Every key and value of the store in one snapshot Range: what any reader of the whole
// meta state must at least do. Returns the bytes read.
uint64_t ScanAll(MetaStore* store) {
  auto snap = Must(store->Snapshot(), "snapshot");
  uint64_t bytes = 0;
  for (const auto& kv : Must(snap->Range("", "", SIZE_MAX), "range all")) {
    bytes += kv.key.size() + kv.value.size();
  }
  return bytes;
}

// Sequential read of a file in 1 MiB chunks (the page cache is warm after the load).
uint64_t ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open " + path);
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (ssize_t n; (n = read(fd, buf.data(), buf.size())) > 0;) total += n;
  close(fd);
  return total;
}

// cp + fsync: the least a restore must do with the snapshot file.
void CopyFile(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  int fd = open(to.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) Die("fsync " + to);
  close(fd);
}

// The synthetic SSTs of this benchmark: SyntheticSst with its file size rounded to one of
// kSizeClasses sizes, so that all objects of one size can be hard links to one sparse
// file (no inode per object: creating 1M inodes takes minutes on this disk).
constexpr uint64_t kSizeClasses = 64;

uint64_t ClassSize(uint64_t id) { return (32u << 20) - (id % kSizeClasses) * 16384; }

SstMeta ScaleSst(uint64_t id) {
  SstMeta m = bench::SyntheticSst(id);
  m.file_size = ClassSize(id);
  return m;
}

// data/<16 hex>.sst for ids first..last: hard links to one sparse file per size class.
void CreateLinkedObjects(const std::string& root, uint64_t first, uint64_t last) {
  std::filesystem::create_directories(root + "/data");
  std::filesystem::create_directories(root + "/templates");
  for (uint64_t c = 0; c < kSizeClasses; ++c) {
    std::string path = root + "/templates/" + std::to_string(c);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(ClassSize(c))) != 0) Die("create " + path);
    close(fd);
  }
  for (uint64_t id = first; id <= last; ++id) {
    std::string from = root + "/templates/" + std::to_string(id % kSizeClasses);
    std::string to = root + "/" + SstObjectKey(id);
    if (link(from.c_str(), to.c_str()) != 0) Die("link " + to + ": " + std::strerror(errno));
  }
}

struct Config {
  uint64_t ssts = 1'000'000;
  uint64_t stale = 10'000;
  uint64_t pins = 1'000;
  std::string dir;
  std::string env;
  std::string store = "sqlite";
};

// A fresh meta store namespace per tag ("src", "dst").
std::string MetaUrl(const Config& cfg, const std::string& tag) {
  if (cfg.store == "sqlite") return "sqlite://" + cfg.dir + "/" + tag + ".db";
  auto env = ReadEnvFile(cfg.env);
  std::string run = "scale" + std::to_string(getpid()) + "_" + tag;
  if (cfg.store == "postgres") {
    setenv("PGPASSWORD", env["CAIRN_TEST_POSTGRES_PASSWORD"].c_str(), 1);
    std::string pg = env["CAIRN_TEST_POSTGRES_URL"];
    return pg + (pg.find('?') == std::string::npos ? "?" : "&") + "schema=" + run;
  }
  if (cfg.store == "etcd") return env["CAIRN_TEST_ETCD_URL"] + "/" + run;
  Die("unknown --store " + cfg.store);
}

ClusterOptions QuietOptions() {
  ClusterOptions options;
  options.background_threads = false;
  options.vacuum_min_age_ms = 0;
  return options;
}

void Run(const Config& cfg) {
  const std::string objects_root = cfg.dir + "/objects";
  double synth_objects =
      Seconds([&] { CreateLinkedObjects(objects_root, 1, cfg.ssts + cfg.stale); });
  auto source = Must(OpenMetaStore(MetaUrl(cfg, "src")), "open source meta store");
  uint64_t commits = 0;
  double synth_meta = Seconds(
      [&] { commits = LoadSyntheticMeta(source.get(), cfg.ssts, cfg.stale, cfg.pins, ScaleSst); });
  std::printf(
      "%s, %llu SSTs in the version, %llu stale, %llu pins; synthesized in %.1f s (meta, %llu "
      "txns) + %.1f s (objects)\n",
      cfg.store.c_str(), static_cast<unsigned long long>(cfg.ssts),
      static_cast<unsigned long long>(cfg.stale), static_cast<unsigned long long>(cfg.pins),
      synth_meta, static_cast<unsigned long long>(commits), synth_objects);

  // --- limits for open and create ---
  uint64_t meta_bytes = 0;
  double scan = Seconds([&] { meta_bytes = ScanAll(source.get()); });
  double file_read = 0;
  uint64_t file_bytes = 0;
  if (cfg.store == "sqlite")
    file_read = Seconds([&] { file_bytes = ReadFile(cfg.dir + "/src.db"); });

  // --- open ---
  auto objects = Must(OpenObjectStore("fs://" + objects_root), "open objects");
  auto backups = Must(OpenObjectStore("fs://" + cfg.dir + "/backup"), "open backup storage");
  MetaWriter writer(source.get(), SystemClock::Default());
  std::unique_ptr<Cluster> cluster;
  Phase open = Measure([&] {
    Check(writer.Open(), "open meta writer");
    cluster = Must(Cluster::Open(&writer, objects.get(), QuietOptions()), "open cluster");
  });
  std::printf("limits   Range of all %llu meta bytes %.3f s",
              static_cast<unsigned long long>(meta_bytes), scan);
  if (file_read > 0) {
    std::printf("; sequential read of the %llu-byte sqlite file %.3f s",
                static_cast<unsigned long long>(file_bytes), file_read);
  }
  std::printf("\n");
  Report("open", open, scan, "Range", cfg.ssts);

  // --- backup create ---
  BackupService service(&writer, objects.get(), backups.get(), SystemClock::Default());
  SnapshotEntry entry;
  Phase create = Measure([&] { entry = Must(service.Create("scale"), "backup create"); });
  double write =
      Seconds([&] { Check(backups->Put("limit", std::string(entry.file_size, 'x')), "put"); });
  Report("create", create, scan + write, "Range + write", cfg.ssts);
  std::printf("         snapshot %llu bytes (%.1f bytes/SST), writing them %.3f s\n",
              static_cast<unsigned long long>(entry.file_size),
              static_cast<double>(entry.file_size) / cfg.ssts, write);

  // --- vacuum (the cluster still open: its version is part of the RSS at start) ---
  VacuumReport vr, full;
  Phase vacuum = Measure([&] { vr = Must(cluster->Vacuum({}), "vacuum"); });
  if (vr.deleted != 0 || vr.kept_by_gate != cfg.stale) Die("pins did not hold in vacuum");
  uint64_t listed = 0;
  double listing = Seconds([&] {
    auto fresh = Must(OpenObjectStore("fs://" + objects_root), "open objects");
    Check(ListAll(*fresh, "data/",
                  [&](const ObjectMeta&) {
                    ++listed;
                    return Status::OK();
                  }),
          "list");
  });
  Phase full_vacuum = Measure([&] { full = Must(cluster->Vacuum({true, false}), "full vacuum"); });
  if (full.deleted != 0 || full.orphans != 0) Die("full vacuum found orphans");
  Report("vacuum", vacuum, 0, "", cfg.ssts);
  Report("full-vac", full_vacuum, listing, "listing " + std::to_string(listed) + " objects",
         cfg.ssts);
  Check(cluster->Close(), "close");
  cluster.reset();

  // --- restore to readable, fresh store instances ---
  std::string snap_path = cfg.dir + "/backup/" + entry.file;
  double cp = Seconds([&] { CopyFile(snap_path, cfg.dir + "/snapshot-copy"); });
  auto target = Must(OpenMetaStore(MetaUrl(cfg, "dst")), "open target meta store");
  auto target_objects = Must(OpenObjectStore("fs://" + objects_root), "open objects");
  auto target_backups = Must(OpenObjectStore("fs://" + cfg.dir + "/backup"), "open backups");
  BackupStorage storage(target_backups.get());
  RestoreOptions options;
  options.snapshot_id = entry.id;
  // The steps of restore: wall and CPU seconds since the phase started at each progress line.
  std::vector<std::string> steps;
  auto step_start = Clock::now();
  double step_cpu = 0;
  options.progress = [&](const std::string& line) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "  +%.3f s (cpu +%.3f s) ",
                  std::chrono::duration<double>(Clock::now() - step_start).count(),
                  CpuSeconds() - step_cpu);
    steps.push_back(buf + line);
  };
  RestorePlan plan;
  std::unique_ptr<MetaWriter> target_writer;
  double to_readable_open = 0;
  Phase restore = Measure([&] {
    step_start = Clock::now();
    step_cpu = CpuSeconds();
    plan = Must(RestoreSnapshot(&storage, target_objects.get(), target.get(), options), "restore");
    options.progress("opening the restored cluster");
    to_readable_open = Seconds([&] {
      target_writer = std::make_unique<MetaWriter>(target.get(), SystemClock::Default());
      Check(target_writer->Open(), "open target writer");
      cluster = Must(Cluster::Open(target_writer.get(), target_objects.get(), QuietOptions()),
                     "open restored cluster");
      if (Must(cluster->ListTables(), "list tables").size() != 1) Die("restored catalog differs");
    });
  });
  if (plan.sst_count != cfg.ssts) Die("restored SST count differs");
  // Restore must at least copy the snapshot and list data/ (it checks every SST's size).
  Report("restore", restore, cp + listing, "cp of the snapshot + listing", cfg.ssts);
  std::printf("         of which open %.3f s; %llu records (goal <= 5 s to readable)\n",
              to_readable_open, static_cast<unsigned long long>(plan.records));
  for (const std::string& line : steps) std::printf("       %s\n", line.c_str());
  Check(cluster->Close(), "close restored");
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  using namespace cairn;
  Config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--ssts") {
      cfg.ssts = std::stoull(value);
    } else if (flag == "--stale") {
      cfg.stale = std::stoull(value);
    } else if (flag == "--pins") {
      cfg.pins = std::stoull(value);
    } else if (flag == "--dir") {
      cfg.dir = value;
    } else if (flag == "--env") {
      cfg.env = value;
    } else if (flag == "--store") {
      cfg.store = value;
    } else {
      Die("unknown flag " + flag);
    }
  }
  if (argc % 2 == 0) Die("usage: scale_bench [--ssts N] [--stale S] [--pins P] [--dir DIR]");
  if (cfg.store != "sqlite" && cfg.env.empty()) Die("--store " + cfg.store + " needs --env FILE");
  if (cfg.pins == 0 || cfg.stale < cfg.pins) Die("need 0 < --pins <= --stale");
  if (cfg.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    cfg.dir = std::string(tmp ? tmp : "/tmp") + "/scale_bench-" + std::to_string(getpid());
  }
  std::filesystem::remove_all(cfg.dir);
  std::filesystem::create_directories(cfg.dir);
  Run(cfg);
  std::filesystem::remove_all(cfg.dir);
  return 0;
}
