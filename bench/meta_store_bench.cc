// meta_store_bench: committed transactions per second on the SQLite meta store.
//
//   meta_store_bench [--dir DIR] [--seconds S] [--puts P] [--value-size B] [--threads LIST]
//
// Each transaction puts P keys (random among 100,000) with B-byte values, as the meta
// service's small commits do. For every thread count in LIST (default "1,2") a fresh
// database in DIR (default: a new directory under $TMPDIR, removed afterwards) is
// committed to for S seconds by that many threads sharing one store. Prints commits/s
// and commit latency percentiles. Every commit is durable (WAL, synchronous=FULL), so
// the numbers mostly measure the disk's fsync rate.
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "common/random.h"
#include "meta_store/meta_store.h"

namespace cairn {
namespace {

using bench::Die;

using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string dir;
  double seconds = 5;
  int puts = 4;
  size_t value_size = 100;
  std::vector<int> threads = {1, 2};
};

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--dir") {
      options->dir = value;
    } else if (arg == "--seconds") {
      options->seconds = std::atof(value.c_str());
    } else if (arg == "--puts") {
      options->puts = std::atoi(value.c_str());
    } else if (arg == "--value-size") {
      options->value_size = std::strtoull(value.c_str(), nullptr, 10);
    } else if (arg == "--threads") {
      options->threads.clear();
      std::stringstream list(value);
      for (std::string n; std::getline(list, n, ',');)
        options->threads.push_back(std::atoi(n.c_str()));
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options->seconds > 0 && options->puts > 0 && !options->threads.empty();
}

struct RunResult {
  int64_t commits = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

// Commits from one thread until `deadline`; returns per-commit latencies.
std::vector<double> CommitLoop(MetaStore* store, const Options& options, uint64_t seed,
                               SteadyClock::time_point deadline) {
  Random random(seed);
  std::vector<double> latencies;
  while (SteadyClock::now() < deadline) {
    Txn txn;
    for (int i = 0; i < options.puts; ++i) {
      txn.ops.push_back(Op::Put("bench/" + std::to_string(random.Uniform(100'000)),
                                random.Bytes(options.value_size)));
    }
    auto start = SteadyClock::now();
    auto revision = store->Commit(txn);
    if (!revision.ok()) Die(revision.status().ToString());
    latencies.push_back(
        std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
  }
  return latencies;
}

RunResult Run(const Options& options, int threads, const std::string& path) {
  auto store = OpenMetaStore("sqlite://" + path);
  if (!store.ok()) Die(store.status().ToString());
  std::vector<std::vector<double>> per_thread(threads);
  auto start = SteadyClock::now();
  auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                              std::chrono::duration<double>(options.seconds));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(
        [&, t] { per_thread[t] = CommitLoop(store->get(), options, 1000 + t, deadline); });
  }
  for (auto& w : workers) w.join();
  RunResult result;
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (auto& l : per_thread) {
    result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
  }
  result.commits = static_cast<int64_t>(result.latencies_ms.size());
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  return result;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

std::string FilesystemType(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (fs.f_type) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
  }
  char hex[32];
  std::snprintf(hex, sizeof(hex), "0x%lx", static_cast<unsigned long>(fs.f_type));
  return hex;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  using namespace cairn;
  Options options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: meta_store_bench [--dir DIR] [--seconds S] [--puts P] "
                 "[--value-size B] [--threads 1,2]\n");
    return 2;
  }
  bool own_dir = options.dir.empty();
  if (own_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("cannot create a temp dir");
    options.dir = tmpl;
  }
  std::printf("sqlite meta store in %s (%s), %d puts of %zu B per txn, %.1f s per run\n",
              options.dir.c_str(), FilesystemType(options.dir).c_str(), options.puts,
              options.value_size, options.seconds);
  for (int threads : options.threads) {
    std::string path = options.dir + "/bench-" + std::to_string(threads) + "t.db";
    RunResult r = Run(options, threads, path);
    std::printf("%d thread%s: %8.0f commits/s  (%lld commits, p50 %.2f ms, p99 %.2f ms)\n", threads,
                threads == 1 ? " " : "s", r.commits / r.seconds, static_cast<long long>(r.commits),
                Percentile(r.latencies_ms, 0.5), Percentile(r.latencies_ms, 0.99));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(path + suffix, ec);
    }
  }
  if (own_dir) std::filesystem::remove_all(options.dir);
  return 0;
}
