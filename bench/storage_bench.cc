// storage_bench: cairn's storage engine side by side with RocksDB on the same file
// system. fillrandom (16-byte keys, 100-byte values, WAL off for RocksDB; cairn makes
// the data durable at its checkpoints), readrandom with a warm cache, full scan.
//
//   storage_bench [--keys N] [--reads N] [--dir DIR]
//
// cairn runs on sqlite://DIR/cairn/meta.db + fs://DIR/cairn/data, RocksDB in DIR/rocksdb.
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
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
  std::string dir;
};

std::string Key(uint64_t i) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(i * 0x9E3779B97F4A7C15ull));
  return std::string(buf, 16);
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
  double fill_s = 0, read_s = 0, scan_s = 0;
  uint64_t scanned = 0;
};

Result3 RunCairn(const Config& cfg, const std::vector<uint64_t>& order) {
  std::string root = cfg.dir + "/cairn";
  std::filesystem::create_directories(root + "/data");
  auto meta = OpenMetaStore("sqlite://" + root + "/meta.db");
  if (!meta.ok()) Die(meta.status().ToString());
  auto objects = OpenObjectStore("fs://" + root + "/data");
  if (!objects.ok()) Die(objects.status().ToString());
  MetaWriter writer(meta->get(), SystemClock::Default());
  if (Status s = writer.Open(); !s.ok()) Die(s.ToString());
  ClusterOptions options;
  options.block_cache_bytes = kCacheBytes;
  auto opened = Cluster::Open(&writer, objects->get(), options);
  if (!opened.ok()) Die(opened.status().ToString());
  Cluster* c = opened->get();
  auto table = c->CreateTable("bench");
  if (!table.ok()) Die(table.status().ToString());
  uint32_t t = table->id;

  Result3 r;
  Random rnd(1);
  std::string value = rnd.Bytes(kValueSize);
  r.fill_s = Seconds([&] {
    WriteBatch batch;
    for (uint64_t i : order) {
      batch.Clear();
      value[i % kValueSize] = static_cast<char>('a' + i % 26);
      batch.Put(t, Key(i), value);
      if (auto e = c->Write(batch, /*wait=*/false); !e.ok()) Die(e.status().ToString());
    }
    if (auto e = c->Flush(); !e.ok()) Die(e.status().ToString());
  });
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
  auto stats = c->Stats();
  std::printf(
      "cairn: version %llu, L0 %llu SSTs, L1 %llu SSTs / %.1f MiB, %llu checkpoints, "
      "%llu compactions\n",
      static_cast<unsigned long long>(stats.version_id),
      static_cast<unsigned long long>(stats.levels[0].sst_count),
      static_cast<unsigned long long>(stats.levels[1].sst_count), stats.levels[1].bytes / 1048576.0,
      static_cast<unsigned long long>(stats.checkpoints),
      static_cast<unsigned long long>(stats.compactions));
  (void)c->Close();
  return r;
}

Result3 RunRocksDb(const Config& cfg, const std::vector<uint64_t>& order) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 * 1024;
  table.block_cache = rocksdb::NewLRUCache(kCacheBytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, cfg.dir + "/rocksdb", &raw);
  if (!s.ok()) Die(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;

  Result3 r;
  Random rnd(1);
  std::string value = rnd.Bytes(kValueSize);
  r.fill_s = Seconds([&] {
    for (uint64_t i : order) {
      value[i % kValueSize] = static_cast<char>('a' + i % 26);
      if (auto st = db->Put(wo, Key(i), value); !st.ok()) Die(st.ToString());
    }
    if (auto st = db->Flush(rocksdb::FlushOptions()); !st.ok()) Die(st.ToString());
  });
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
  return r;
}

void Report(const char* name, uint64_t ops, double cairn_s, double rocks_s) {
  double cairn_ops = ops / cairn_s, rocks_ops = ops / rocks_s;
  std::printf("%-11s %14.0f %14.0f %8.2f\n", name, cairn_ops, rocks_ops, cairn_ops / rocks_ops);
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
    } else if (flag == "--dir") {
      cfg.dir = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: storage_bench [--keys N] [--reads N] [--dir DIR]\n");
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
  auto cairn_r = cairn::RunCairn(cfg, order);
  auto rocks_r = cairn::RunRocksDb(cfg, order);
  std::printf("%llu keys (16 B) x %zu B values, %llu random reads, dir %s\n",
              static_cast<unsigned long long>(cfg.keys), cairn::kValueSize,
              static_cast<unsigned long long>(cfg.reads), cfg.dir.c_str());
  std::printf("%-11s %14s %14s %8s\n", "benchmark", "cairn ops/s", "rocksdb ops/s", "ratio");
  cairn::Report("fillrandom", cfg.keys, cairn_r.fill_s, rocks_r.fill_s);
  cairn::Report("readrandom", cfg.reads, cairn_r.read_s, rocks_r.read_s);
  cairn::Report("scan", cairn_r.scanned, cairn_r.scan_s, rocks_r.scan_s);
  if (cairn_r.scanned != cfg.keys || rocks_r.scanned != cfg.keys) cairn::Die("scan count mismatch");
  if (temp) std::filesystem::remove_all(cfg.dir);
  return 0;
}
