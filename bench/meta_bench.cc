// meta_bench: the cost of the changelog. Committed meta transactions per second through
// MetaWriter on the SQLite meta store with the changelog record on (production) and
// off (MetaWriter::DisableChangelogForBenchmark), in one run.
//
//   meta_bench [--dir DIR] [--txns N] [--rounds R] [--puts P] [--value-size B]
//
// Each transaction puts P keys (random among 10,000 under storage/sst/) with B-byte
// values, the shape of a checkpoint commit. Each round commits N transactions to a
// fresh database with the changelog on and N to another with it off; the order
// alternates between rounds so both modes see the same machine load. Prints txns/s per
// round, the medians and the overhead (1 - on/off).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "common/clock.h"
#include "common/random.h"
#include "meta/keys.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"

namespace cairn {
namespace {

using bench::Die;

struct Options {
  std::string dir;
  int txns = 2000;
  int rounds = 3;
  int puts = 4;
  size_t value_size = 100;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    std::string arg = argv[i];
    if (i + 1 >= argc) Die("missing value for " + arg);
    std::string value = argv[i + 1];
    if (arg == "--dir") {
      o.dir = value;
    } else if (arg == "--txns") {
      o.txns = std::atoi(value.c_str());
    } else if (arg == "--rounds") {
      o.rounds = std::atoi(value.c_str());
    } else if (arg == "--puts") {
      o.puts = std::atoi(value.c_str());
    } else if (arg == "--value-size") {
      o.value_size = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      Die("unknown argument " + arg +
          " (usage: meta_bench [--dir DIR] [--txns N] [--rounds R] [--puts P] "
          "[--value-size B])");
    }
  }
  if (o.txns <= 0 || o.rounds <= 0 || o.puts <= 0) Die("--txns, --rounds, --puts must be > 0");
  return o;
}

// Txns/s for `options.txns` commits to a fresh SQLite database at `path`.
double RunOnce(const Options& options, const std::string& path, bool changelog, uint64_t seed) {
  auto store = OpenMetaStore("sqlite://" + path);
  if (!store.ok()) Die(store.status().ToString());
  MetaWriter writer(store->get(), SystemClock::Default());
  if (!writer.Open().ok()) Die("MetaWriter::Open failed");
  if (!changelog) writer.DisableChangelogForBenchmark();
  Random random(seed);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.txns; ++i) {
    Txn txn;
    for (int p = 0; p < options.puts; ++p) {
      txn.ops.push_back(
          Op::Put(keys::SstKey(random.Uniform(10000)), random.Bytes(options.value_size)));
    }
    auto committed = writer.Commit(std::move(txn));
    if (!committed.ok()) Die(committed.status().ToString());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return options.txns / seconds;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Main(int argc, char** argv) {
  Options options = ParseArgs(argc, argv);
  bool own_dir = options.dir.empty();
  if (own_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "meta-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) Die("mkdtemp failed");
    options.dir = tmpl;
  }
  std::printf("meta_bench: %d txns x %d puts x %zu B values per round, %d rounds, sqlite in %s\n",
              options.txns, options.puts, options.value_size, options.rounds, options.dir.c_str());
  std::vector<double> on, off;
  for (int round = 0; round < options.rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      bool changelog = (round + k) % 2 == 0;
      std::string path =
          options.dir + "/round" + std::to_string(round) + (changelog ? "-on.db" : "-off.db");
      double rate = RunOnce(options, path, changelog, 1000 + round);
      (changelog ? on : off).push_back(rate);
      std::printf("round %d changelog %-3s %9.0f txns/s\n", round, changelog ? "on" : "off", rate);
      std::fflush(stdout);
    }
  }
  double on_median = Median(on), off_median = Median(off);
  std::printf("median: changelog on %.0f txns/s, off %.0f txns/s, overhead %.1f%%\n", on_median,
              off_median, 100.0 * (1.0 - on_median / off_median));
  if (own_dir) std::filesystem::remove_all(options.dir);
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) { return cairn::Main(argc, argv); }
