// storage_bench: cairn's storage engine side by side with RocksDB on the same file
// system. fillrandom (16-byte keys, 100-byte values, WAL off for RocksDB; cairn makes
// the data durable at its checkpoints), readrandom with a warm cache, full scan, and
// write amplification once compactions settle (bytes written as SSTs: cairn's object
// store, RocksDB's flush + compaction writes; over the bytes ingested). `--runs` runs
// alternate which engine goes first; medians and their ratios are printed.
//
//   storage_bench [--keys N] [--reads N] [--runs N] [--checkpoint-ms MS] [--dir DIR]
//                 [--l0-files N] [--l0-mb MB] [--engines both|cairn]
//                 [--compactions N] [--versus-compactions M]
//
// --l0-files / --l0-mb override cairn's L0 compaction triggers (SSTs, MiB) to compare
// settings; --engines cairn skips RocksDB (no ratios then). --compactions sets cairn's
// max_background_compactions; --versus-compactions M runs cairn with M compaction
// threads in RocksDB's place (same runs, alternating), so the ratios are N over M.
// The fill's process CPU seconds (getrusage: every thread) are printed with its wall.
//
// cairn runs on sqlite://DIR/<run>/cairn/meta.db + fs://DIR/<run>/cairn/data, RocksDB in
// DIR/<run>/rocksdb.
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "common/random.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "storage/cluster.h"

namespace cairn {
namespace {

using bench::Die;

constexpr size_t kValueSize = 100;
constexpr size_t kCacheBytes = 256 << 20;

struct Config {
  uint64_t keys = 1'000'000;
  uint64_t reads = 200'000;
  int runs = 3;
  int64_t checkpoint_ms = 1000;  // cairn's checkpoint interval (the server default)
  size_t l0_files = 0;           // 0: cairn's defaults
  uint64_t l0_bytes = 0;
  uint64_t l0_slowdown = 0, l0_stop = 0;  // 0: cairn's defaults
  bool rocksdb = true;
  int compactions = 0;         // cairn's max_background_compactions; 0: its default
  int versus_compactions = 0;  // > 0: cairn with this many in RocksDB's place
  std::string dir;
};

std::string Key(uint64_t i) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(i * 0x9E3779B97F4A7C15ull));
  return std::string(buf, 16);
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double Seconds(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The random insertion order: a permutation of 0..n-1.
std::vector<uint64_t> Shuffled(uint64_t n, uint64_t seed) {
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; ++i) order[i] = i;
  Random rnd(seed);
  for (uint64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rnd.Uniform(i + 1)]);
  return order;
}

struct Result3 {
  double fill_s = 0, fill_cpu_s = 0, read_s = 0, scan_s = 0;
  uint64_t scanned = 0;
  double write_amp = 0;
};

uint64_t IngestedBytes(const Config& cfg) { return cfg.keys * (16 + kValueSize); }

uint64_t DirBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  return bytes;
}

Result3 RunCairn(const Config& cfg, const std::string& dir, const std::vector<uint64_t>& order,
                 int compactions) {
  std::string root = dir + "/cairn" + std::to_string(compactions);
  std::filesystem::create_directories(root + "/data");
  auto meta = OpenMetaStore("sqlite://" + root + "/meta.db");
  if (!meta.ok()) Die(meta.status().ToString());
  auto objects = OpenObjectStore("fs://" + root + "/data");
  if (!objects.ok()) Die(objects.status().ToString());
  MetaWriter writer(meta->get(), SystemClock::Default());
  if (Status s = writer.Open(); !s.ok()) Die(s.ToString());
  ClusterOptions options;
  options.block_cache_bytes = kCacheBytes;
  options.checkpoint_interval_ms = cfg.checkpoint_ms;
  if (cfg.l0_files) options.level0_compaction_trigger = cfg.l0_files;
  if (cfg.l0_bytes) options.level0_compaction_bytes = cfg.l0_bytes;
  if (cfg.l0_slowdown) options.write_stall.level0_slowdown_writes_trigger = cfg.l0_slowdown;
  if (cfg.l0_stop) options.write_stall.level0_stop_writes_trigger = cfg.l0_stop;
  if (compactions > 0) options.max_background_compactions = compactions;
  auto opened = Cluster::Open(&writer, objects->get(), options);
  if (!opened.ok()) Die(opened.status().ToString());
  Cluster* c = opened->get();
  auto table = c->CreateTable("bench");
  if (!table.ok()) Die(table.status().ToString());
  uint32_t t = table->id;

  Result3 r;
  Random rnd(1);
  std::string value = rnd.Bytes(kValueSize);
  double cpu = CpuSeconds();
  r.fill_s = Seconds([&] {
    WriteBatch batch;
    for (uint64_t i : order) {
      batch.Clear();
      value[i % kValueSize] = static_cast<char>('a' + i % 26);
      batch.Put(t, Key(i), value);
      // A write refused by the L0/memtable stop (Busy, after its stop timeout) is
      // retried, as a client should; the time spent counts against fillrandom.
      auto e = c->Write(batch, /*wait=*/false);
      while (!e.ok() && e.status().code() == ErrorCode::kBusy) {
        e = c->Write(batch, /*wait=*/false);
      }
      if (!e.ok()) Die(e.status().ToString());
    }
    if (auto e = c->Flush(); !e.ok()) Die(e.status().ToString());
  });
  r.fill_cpu_s = CpuSeconds() - cpu;
  auto random_reads = [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      auto v = c->Get(t, Key(rnd.Uniform(cfg.keys)));
      if (!v.ok() || !*v) Die("cairn get failed");
    }
  };
  random_reads(cfg.reads);  // warm the cache
  r.read_s = Seconds([&] { random_reads(cfg.reads); });
  r.scan_s = Seconds([&] {
    auto it = c->Scan(t, "", "");
    if (!it.ok()) Die(it.status().ToString());
    for (; (*it)->Valid(); (*it)->Next()) r.scanned++;
    if (!(*it)->status().ok()) Die((*it)->status().ToString());
  });
  // Write amplification once nothing is pending; nothing is vacuumed, so every SST
  // ever written is still in the data directory.
  if (Status s = c->CompactPending(); !s.ok()) Die(s.ToString());
  r.write_amp = static_cast<double>(DirBytes(root + "/data")) / IngestedBytes(cfg);
  auto stats = c->Stats();
  std::printf("  cairn: %llu writes slowed, %llu stopped, %llu refused and retried\n",
              static_cast<unsigned long long>(stats.write_slowdowns),
              static_cast<unsigned long long>(stats.write_stops),
              static_cast<unsigned long long>(stats.writes_refused));
  std::printf(
      "  cairn (%d compaction threads): %llu checkpoints, %llu compactions (%llu trivial "
      "moves), levels (SSTs/MiB):",
      options.max_background_compactions, static_cast<unsigned long long>(stats.checkpoints),
      static_cast<unsigned long long>(stats.compactions),
      static_cast<unsigned long long>(stats.trivial_moves));
  for (const LevelStats& l : stats.levels) {
    if (l.sst_count)
      std::printf(" L%d %llu/%.1f", l.level, static_cast<unsigned long long>(l.sst_count),
                  l.bytes / 1048576.0);
  }
  std::printf("\n");
  (void)c->Close();
  return r;
}

Result3 RunRocksDb(const Config& cfg, const std::string& dir, const std::vector<uint64_t>& order) {
  rocksdb::Options options;
  options.statistics = rocksdb::CreateDBStatistics();
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 * 1024;
  table.block_cache = rocksdb::NewLRUCache(kCacheBytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir + "/rocksdb", &raw);
  if (!s.ok()) Die(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;

  Result3 r;
  Random rnd(1);
  std::string value = rnd.Bytes(kValueSize);
  double cpu = CpuSeconds();
  r.fill_s = Seconds([&] {
    for (uint64_t i : order) {
      value[i % kValueSize] = static_cast<char>('a' + i % 26);
      if (auto st = db->Put(wo, Key(i), value); !st.ok()) Die(st.ToString());
    }
    if (auto st = db->Flush(rocksdb::FlushOptions()); !st.ok()) Die(st.ToString());
  });
  r.fill_cpu_s = CpuSeconds() - cpu;
  auto random_reads = [&](uint64_t n) {
    std::string v;
    for (uint64_t i = 0; i < n; ++i) {
      if (!db->Get(rocksdb::ReadOptions(), Key(rnd.Uniform(cfg.keys)), &v).ok()) {
        Die("rocksdb get failed");
      }
    }
  };
  random_reads(cfg.reads);
  r.read_s = Seconds([&] { random_reads(cfg.reads); });
  r.scan_s = Seconds([&] {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) r.scanned++;
  });
  for (;;) {  // RocksDB 7.8 has no WaitForCompact
    uint64_t pending = 0, running = 0;
    db->GetIntProperty("rocksdb.compaction-pending", &pending);
    db->GetIntProperty("rocksdb.num-running-compactions", &running);
    if (pending == 0 && running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  uint64_t written = options.statistics->getTickerCount(rocksdb::FLUSH_WRITE_BYTES) +
                     options.statistics->getTickerCount(rocksdb::COMPACT_WRITE_BYTES);
  r.write_amp = static_cast<double>(written) / IngestedBytes(cfg);
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Medians over the runs of ops/s (or, with `lower_is_better`, of the value itself).
void Report(const char* name, const std::vector<Result3>& cairn, const std::vector<Result3>& rocks,
            const std::function<double(const Result3&)>& metric, bool lower_is_better,
            const std::pair<std::string, std::string>& names) {
  std::vector<double> a, b;
  for (const auto& r : cairn) a.push_back(metric(r));
  for (const auto& r : rocks) b.push_back(metric(r));
  double ma = Median(a), mb = Median(b);
  std::printf("%-11s %14.2f %14.2f %8.2f%s\n", name, ma, mb, lower_is_better ? mb / ma : ma / mb,
              lower_is_better ? ("  (" + names.second + "/" + names.first + ")").c_str() : "");
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  cairn::Config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--keys") {
      cfg.keys = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--reads") {
      cfg.reads = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--checkpoint-ms") {
      cfg.checkpoint_ms = std::max<int64_t>(1, std::atoll(argv[i + 1]));
    } else if (flag == "--runs") {
      cfg.runs = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--dir") {
      cfg.dir = argv[i + 1];
    } else if (flag == "--l0-files") {
      cfg.l0_files = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--l0-mb") {
      cfg.l0_bytes = std::strtoull(argv[i + 1], nullptr, 10) << 20;
    } else if (flag == "--l0-slowdown") {
      cfg.l0_slowdown = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--l0-stop") {
      cfg.l0_stop = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--compactions") {
      cfg.compactions = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--versus-compactions") {
      cfg.versus_compactions = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--engines" &&
               (std::string(argv[i + 1]) == "both" || std::string(argv[i + 1]) == "cairn")) {
      cfg.rocksdb = std::string(argv[i + 1]) == "both";
    } else {
      std::fprintf(stderr,
                   "usage: storage_bench [--keys N] [--reads N] [--runs N] [--checkpoint-ms MS] "
                   "[--dir DIR] [--l0-files N] [--l0-mb MB] [--l0-slowdown N] [--l0-stop N] "
                   "[--engines both|cairn] "
                   "[--compactions N] [--versus-compactions M]\n");
      return 2;
    }
  }
  bool temp = cfg.dir.empty();
  if (temp) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "storage-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) cairn::Die("mkdtemp failed");
    cfg.dir = tmpl;
  }
  auto order = cairn::Shuffled(cfg.keys, 42);
  auto cairn_name = [](int n) {
    return n ? "cairn(" + std::to_string(n) + ")" : std::string("cairn");
  };
  std::pair<std::string, std::string> names = {
      cairn_name(cfg.compactions),
      cfg.versus_compactions ? cairn_name(cfg.versus_compactions) : "rocksdb"};
  std::vector<cairn::Result3> cairn_r, rocks_r;
  for (int run = 0; run < cfg.runs; ++run) {
    std::string dir = cfg.dir + "/run" + std::to_string(run);
    std::filesystem::create_directories(dir);
    auto one_cairn = [&] { cairn_r.push_back(cairn::RunCairn(cfg, dir, order, cfg.compactions)); };
    auto one_rocks = [&] {
      if (cfg.versus_compactions) {
        rocks_r.push_back(cairn::RunCairn(cfg, dir, order, cfg.versus_compactions));
      } else {
        rocks_r.push_back(cfg.rocksdb ? cairn::RunRocksDb(cfg, dir, order) : cairn::Result3{});
      }
    };
    if (run % 2 == 0) {
      one_cairn();
      one_rocks();
    } else {
      one_rocks();
      one_cairn();
    }
    const auto &c = cairn_r.back(), &r = rocks_r.back();
    std::printf(
        "run %d: fill %.0f / %.0f ops/s (wall %.1f / %.1f s, cpu %.1f / %.1f s), read %.0f / "
        "%.0f, scan %.0f / %.0f, write amp %.2f / %.2f (%s / %s)\n",
        run + 1, cfg.keys / c.fill_s, cfg.keys / r.fill_s, c.fill_s, r.fill_s, c.fill_cpu_s,
        r.fill_cpu_s, cfg.reads / c.read_s, cfg.reads / r.read_s, c.scanned / c.scan_s,
        r.scanned / r.scan_s, c.write_amp, r.write_amp, names.first.c_str(), names.second.c_str());
    if (c.scanned != cfg.keys ||
        ((cfg.rocksdb || cfg.versus_compactions) && r.scanned != cfg.keys)) {
      cairn::Die("scan count mismatch");
    }
    std::filesystem::remove_all(dir);
  }
  std::printf("%llu keys (16 B) x %zu B values, %llu random reads, medians of %d runs\n",
              static_cast<unsigned long long>(cfg.keys), cairn::kValueSize,
              static_cast<unsigned long long>(cfg.reads), cfg.runs);
  std::printf("%-11s %14s %14s %8s\n", "benchmark", names.first.c_str(), names.second.c_str(),
              "ratio");
  uint64_t keys = cfg.keys, reads = cfg.reads;
  cairn::Report(
      "fillrandom", cairn_r, rocks_r, [&](const auto& r) { return keys / r.fill_s; }, false, names);
  cairn::Report(
      "fill-cpu-s", cairn_r, rocks_r, [](const auto& r) { return r.fill_cpu_s; }, true, names);
  cairn::Report(
      "readrandom", cairn_r, rocks_r, [&](const auto& r) { return reads / r.read_s; }, false,
      names);
  cairn::Report(
      "scan", cairn_r, rocks_r, [&](const auto& r) { return r.scanned / r.scan_s; }, false, names);
  cairn::Report(
      "write-amp", cairn_r, rocks_r, [](const auto& r) { return r.write_amp; }, true, names);
  if (temp) std::filesystem::remove_all(cfg.dir);
  return 0;
}
