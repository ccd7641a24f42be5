// store_backup_bench: backup create and restore at N synthetic SSTs on each meta store
// (sqlite, postgres, etcd), side by side in one run, with the ratio to SQLite.
//
//   store_backup_bench --env FILE [--ssts N] [--dir DIR]
//
// FILE is what `scripts/test-servers.sh start FILE` writes (CAIRN_TEST_POSTGRES_URL,
// CAIRN_TEST_POSTGRES_PASSWORD, CAIRN_TEST_ETCD_URL). Each store gets a fresh namespace
// (sqlite file, postgres ?schema=, etcd /prefix). The synthetic metadata (SstMeta via
// EncodeSstMeta, a version header, a few catalog keys; as in backup_bench) is loaded in
// transactions sized by the store's BulkTxnLimits. Backup storage and the object store
// are fs:// temp dirs; the object store holds N empty data/<16 hex>.sst objects shared
// by all stores so restore's SST check passes. Loading is not timed.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "bench_util.h"
#include "common/epoch.h"
#include "common/random.h"
#include "meta/keys.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "sst/internal_key.h"
#include "storage/storage_codec.h"
#include "synthetic_meta.h"

namespace cairn {
namespace {

using bench::Check;
using bench::CreateDummyObjects;
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

struct StoreKind {
  std::string name;
  // A fresh, empty store namespace per call (tag distinguishes source and target).
  std::function<std::string(const std::string& tag)> url;
};

struct Timing {
  double load = 0;
  uint64_t load_commits = 0;
  double create = 0;
  double restore = 0;
  uint64_t snapshot_bytes = 0;
  uint64_t records = 0;
};

Timing Measure(const StoreKind& kind, const std::string& dir, const std::string& objects_root,
               uint64_t ssts) {
  Timing t;
  auto source = Must(OpenMetaStore(kind.url("src")), "open " + kind.name + " source");
  t.load = Seconds([&] { t.load_commits = LoadSyntheticMeta(source.get(), ssts); });
  auto objects = Must(OpenObjectStore("fs://" + objects_root), "open objects");
  std::string backup_root = dir + "/backup-" + kind.name;
  auto backups = Must(OpenObjectStore("fs://" + backup_root), "open backup storage");
  MetaWriter writer(source.get(), SystemClock::Default());
  Check(writer.Open(), "open meta writer");
  BackupService service(&writer, objects.get(), backups.get(), SystemClock::Default());
  SnapshotEntry entry;
  t.create = Seconds([&] { entry = Must(service.Create("bench"), kind.name + " backup create"); });
  t.snapshot_bytes = entry.file_size;

  // Fresh store instances for the restore side: nothing cached from the backup.
  auto target = Must(OpenMetaStore(kind.url("dst")), "open " + kind.name + " target");
  auto target_objects = Must(OpenObjectStore("fs://" + objects_root), "open objects");
  auto target_backups = Must(OpenObjectStore("fs://" + backup_root), "open backup storage");
  BackupStorage storage(target_backups.get());
  RestoreOptions options;
  options.snapshot_id = entry.id;
  RestorePlan plan;
  t.restore = Seconds([&] {
    plan = Must(RestoreSnapshot(&storage, target_objects.get(), target.get(), options),
                kind.name + " restore");
  });
  if (plan.sst_count != ssts) Die(kind.name + ": restored SST count differs");
  t.records = plan.records;
  return t;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  using namespace cairn;
  std::string env_path, dir;
  uint64_t ssts = 10'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--env") {
      env_path = value;
    } else if (flag == "--ssts") {
      ssts = std::stoull(value);
    } else if (flag == "--dir") {
      dir = value;
    } else {
      Die("unknown flag " + flag);
    }
  }
  if (argc % 2 == 0 || env_path.empty()) Die("usage: store_backup_bench --env FILE [--ssts N]");
  auto env = ReadEnvFile(env_path);
  for (const char* key : {"CAIRN_TEST_POSTGRES_URL", "CAIRN_TEST_ETCD_URL"}) {
    if (env[key].empty()) Die(std::string(key) + " missing from " + env_path);
  }
  // libpq reads the password from $PGPASSWORD; the URL carries none.
  setenv("PGPASSWORD", env["CAIRN_TEST_POSTGRES_PASSWORD"].c_str(), 1);
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/store_backup_bench-" + std::to_string(getpid());
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string objects_root = dir + "/objects";
  CreateDummyObjects(objects_root, 1, ssts);

  std::string run = "sbb" + std::to_string(getpid());
  std::string pg = env["CAIRN_TEST_POSTGRES_URL"], etcd = env["CAIRN_TEST_ETCD_URL"];
  std::vector<StoreKind> kinds = {
      {"sqlite", [&](const std::string& tag) { return "sqlite://" + dir + "/" + tag + ".db"; }},
      {"postgres",
       [&](const std::string& tag) {
         return pg + (pg.find('?') == std::string::npos ? "?" : "&") + "schema=" + run + "_" + tag;
       }},
      {"etcd", [&](const std::string& tag) { return etcd + "/" + run + "_" + tag; }},
  };
  std::vector<Timing> timings;
  for (const auto& kind : kinds) {
    timings.push_back(Measure(kind, dir, objects_root, ssts));
  }
  std::filesystem::remove_all(dir);

  const Timing& base = timings[0];
  std::printf("%llu SSTs, %llu records, snapshot %llu bytes\n",
              static_cast<unsigned long long>(ssts), static_cast<unsigned long long>(base.records),
              static_cast<unsigned long long>(base.snapshot_bytes));
  std::printf("%-9s %13s %10s %10s %10s %10s\n", "store", "load s (txns)", "create s", "vs sqlite",
              "restore s", "vs sqlite");
  for (size_t i = 0; i < kinds.size(); ++i) {
    const Timing& t = timings[i];
    char load[32];
    std::snprintf(load, sizeof(load), "%.2f (%llu)", t.load,
                  static_cast<unsigned long long>(t.load_commits));
    std::printf("%-9s %13s %10.3f %9.2fx %10.3f %9.2fx\n", kinds[i].name.c_str(), load, t.create,
                t.create / base.create, t.restore, t.restore / base.restore);
  }
  return 0;
}
