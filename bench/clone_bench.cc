// clone_bench: `cairn clone` to readable vs `cp -r` of the same object store, at N
// source SSTs, in one run (docs/clones.md, BENCHMARKS.md).
//
//   clone_bench [--dir DIR] [--ssts N,N] [--object-bytes B]
//
// Per N: a source meta store (sqlite) with N synthetic SSTs (bench/synthetic_meta.h,
// file_size = B) and one backup of it (BackupService::Create); an fs object store with N
// objects of B random bytes (fixtures, written without fsync). Measured, side by side:
//   clone   CreateClone (dry run + registration + restore through the layered store) +
//           OpenClusterObjects + MetaWriter::Open + Cluster::Open + ListTables + a first
//           Get (of a key outside every SST's range: the fixtures are not real SSTs),
//           the in-process equivalent of `cairn clone` + `cairn server` + a first read;
//   cp -r   of the source's object store directory (what a copy-based clone needs first).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/clone.h"
#include "backup/clone_detach.h"
#include "bench_util.h"
#include "meta/meta_writer.h"
#include "meta_store/lazy_meta_store.h"
#include "storage/cluster.h"
#include "synthetic_meta.h"

namespace cairn::bench {
namespace {

double Seconds(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// N objects data/<id>.sst of `bytes` random bytes under fs root `root`.
void CreateObjects(const std::string& root, uint64_t n, size_t bytes) {
  std::filesystem::create_directories(root + "/data");
  Random rnd(n);
  std::string buf = rnd.Bytes(bytes);
  for (uint64_t id = 1; id <= n; ++id) {
    std::string path = root + "/" + SstObjectKey(id);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) Die("create " + path);
    buf[id % bytes] = static_cast<char>('a' + id % 26);
    if (write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) Die("write");
    close(fd);
  }
}

// The synthetic SSTs with their recorded size set to what the fixtures hold.
void ResizeSsts(MetaStore* meta, uint64_t n, size_t bytes) {
  MetaLoader load(meta);
  for (uint64_t id = 1; id <= n; ++id) {
    SstMeta m = SyntheticSst(id);
    m.file_size = bytes;
    load.Put(keys::SstKey(id), EncodeSstMeta(m));
  }
  load.Finish();
}

ClusterOptions QuietOptions() {
  ClusterOptions options;
  options.background_threads = false;
  return options;
}

void RunOne(const std::string& base, uint64_t n, size_t bytes) {
  std::string dir = base + "/" + std::to_string(n);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string src_data = dir + "/src-data", backups_url = "fs://" + dir + "/backup";
  CreateObjects(src_data, n, bytes);
  uint64_t backup_id = 0;
  {
    auto meta = Must(OpenMetaStore("sqlite://" + dir + "/src.db"), "open source meta");
    LoadSyntheticMeta(meta.get(), n);
    ResizeSsts(meta.get(), n, bytes);
    MetaWriter writer(meta.get(), SystemClock::Default());
    Check(writer.Open(), "open writer");
    auto objects = Must(OpenObjectStore("fs://" + src_data), "open source objects");
    auto backups = Must(OpenObjectStore(backups_url), "open backup storage");
    BackupService service(&writer, objects.get(), backups.get(), SystemClock::Default());
    backup_id = Must(service.Create("bench"), "backup create").id;
  }

  Random random(42);
  ClonePlan plan;
  double clone = 0, open = 0;
  {
    auto target = Must(OpenMetaStoreLazily("sqlite://" + dir + "/clone.db"), "open clone meta");
    CloneOptions options;
    options.from_backup = backup_id;
    options.backup_storage = backups_url;
    options.source_object_store = "fs://" + src_data;
    options.object_store = "fs://" + dir + "/clone-data";
    options.random = &random;
    clone = Seconds([&] { plan = Must(CreateClone(target.get(), options), "clone"); });
  }
  open = Seconds([&] {
    auto meta = Must(OpenMetaStore("sqlite://" + dir + "/clone.db"), "open clone meta");
    CloneObjectStore* layer = nullptr;
    auto objects = Must(
        OpenClusterObjects(
            meta.get(), Must(OpenObjectStore("fs://" + dir + "/clone-data"), "open clone objects"),
            "", &layer),
        "layer");
    MetaWriter writer(meta.get(), SystemClock::Default());
    Check(writer.Open(), "open clone writer");
    auto cluster = Must(Cluster::Open(&writer, objects.get(), QuietOptions()), "open cluster");
    auto tables = Must(cluster->ListTables(), "list tables");
    if (tables.size() != 1 || layer == nullptr) Die("clone differs");
    if (Must(cluster->Get(tables[0].id, "zz-outside", {}), "first get")) Die("unexpected row");
    Check(cluster->Close(), "close");
  });
  double cp = Seconds([&] {
    std::string cmd = "cp -r " + src_data + " " + dir + "/cp-data";
    if (std::system(cmd.c_str()) != 0) Die("cp -r failed");
  });
  double mib = static_cast<double>(n) * bytes / (1 << 20);
  std::printf(
      "clone    %7llu SSTs (%.0f MiB): clone %.3f s + open and first read %.3f s = %.3f s; "
      "cp -r %.3f s; cp -r / clone = %.1fx\n",
      static_cast<unsigned long long>(plan.sst_count), mib, clone, open, clone + open, cp,
      cp / (clone + open));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  std::string dir = "/tmp/clone-bench", ssts = "10000,100000";
  size_t bytes = 16 << 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--ssts") ssts = argv[i + 1];
    if (flag == "--object-bytes") bytes = std::stoull(argv[i + 1]);
  }
  std::stringstream list(ssts);
  std::string item;
  while (std::getline(list, item, ',')) cairn::bench::RunOne(dir, std::stoull(item), bytes);
  return 0;
}
