// pitr_bench: changelog replay speed and point-in-time restore time.
//
//   pitr_bench [--records N] [--backup-storage URL]
//
// 1. replay: N checkpoint-like changelog records (put a new SST, delete an old one,
//    put the version header) decoded from archived segments and applied to an
//    in-memory state; prints records/s for decode+apply and for apply alone.
// 2. restore: one real snapshot of a small cluster, then N such records archived in
//    segments spread over the following hour; RestoreToPoint to one hour after the
//    snapshot into a mem:// meta store. Prints seconds (dry run and full write).
// Backup storage defaults to mem:// (pass fs:///dir to include file reads).
//
//   pitr_bench --meta-keys N[,N...] [--tail-records R] [--dir DIR]
//
// 3. big restore (instead of 1 and 2): a snapshot of N metadata keys (N SSTs as a
//    checkpoint records them, plus a version header, catalog, ids, params) in fs://
//    backup storage under DIR, then R checkpoint records archived after it (each adds
//    an SST and retires one of the snapshot's), spread over the next hour;
//    RestoreToPoint to snapshot + 1 h (replays all R) into a sqlite:// meta store, dry run and
//    written. Each restore runs in a child process (this binary, --child-restore) that prints its
//    wall time and peak RSS (VmHWM), and a digest of the restored keys (ids, excluded prefixes and
//    cluster/timeline left out) to compare implementations with. The object store lists the live
//    SSTs with their recorded sizes without storing them (millions of objects); everything else it
//    keeps in memory.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/pitr_restore.h"
#include "backup/pitr_segment.h"
#include "common/epoch.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "meta/keys.h"
#include "meta/time_spec.h"
#include "storage/storage_codec.h"
#include "synthetic_meta.h"

namespace cairn {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr uint64_t kLiveSsts = 1000;
constexpr size_t kSegmentRecords = 100000;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// Process CPU seconds: on a shared machine, records per CPU second is the stable number.
double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// Record `i` of a synthetic history: a checkpoint that adds SST base+i and retires
// SST base+i-kLiveSsts, so the state stays at kLiveSsts SSTs.
ChangelogRecord CheckpointRecord(uint64_t seq, uint64_t object_id, int64_t wall_ms) {
  ChangelogRecord r;
  r.seq = seq;
  r.epoch = EpochFromMillis(wall_ms);
  r.wall_time_ms = wall_ms;
  SstMeta meta;  // restore decodes it and checks the size against the 1-byte objects
  meta.object_id = object_id;
  meta.file_size = 1;
  meta.smallest_key = std::string(24, 's');
  meta.largest_key = std::string(24, 'l');
  r.ops.push_back(Op::Put(keys::SstKey(object_id), EncodeSstMeta(meta)));
  if (object_id > kLiveSsts) r.ops.push_back(Op::Delete(keys::SstKey(object_id - kLiveSsts)));
  r.ops.push_back(Op::Put(std::string(keys::kStorageVersion), std::to_string(seq)));
  r.ops.push_back(Op::Put(keys::IdKey("object"), std::to_string(object_id + 1)));
  return r;
}

// Writes `n` records after `first_seq` in segments, wall times spread over `span_ms`.
// Returns the first object id used.
Status ArchiveHistory(ObjectStore* backups, uint64_t first_seq, uint64_t first_object,
                      int64_t start_ms, int64_t span_ms, uint64_t n) {
  std::vector<ChangelogRecord> pending;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t wall = start_ms + 1 + static_cast<int64_t>(i * span_ms / n);
    pending.push_back(CheckpointRecord(first_seq + i, first_object + i, wall));
    if (pending.size() == kSegmentRecords || i + 1 == n) {
      CAIRN_RETURN_IF_ERROR(backups->Put(SegmentKey(pending.front().seq, pending.back().seq),
                                         EncodeSegment(pending)));
      pending.clear();
    }
  }
  return Status::OK();
}

int Replay(uint64_t n) {
  auto backups = *OpenObjectStore("mem://pitr-bench-replay");
  if (!ArchiveHistory(backups.get(), 1, 1, 1'700'000'000'000, 3600 * 1000, n).ok()) return 1;
  auto segments = *ListSegments(backups.get());
  std::vector<std::vector<ChangelogRecord>> decoded;
  auto start = SteadyClock::now();
  double cpu_start = CpuSeconds();
  std::map<std::string, std::string> state;
  uint64_t applied = 0;
  for (const auto& seg : segments) {
    auto records = ReadSegment(backups.get(), seg);
    if (!records.ok()) {
      std::fprintf(stderr, "error: %s\n", records.status().ToString().c_str());
      return 1;
    }
    for (const auto& r : *records) ApplyChangelogRecord(r, &state), ++applied;
    decoded.push_back(std::move(*records));
  }
  double both = SecondsSince(start);
  double both_cpu = CpuSeconds() - cpu_start;
  state.clear();
  start = SteadyClock::now();
  cpu_start = CpuSeconds();
  for (const auto& records : decoded) {
    for (const auto& r : records) ApplyChangelogRecord(r, &state);
  }
  double apply = SecondsSince(start);
  double apply_cpu = CpuSeconds() - cpu_start;
  std::printf(
      "replay: %llu records; read+decode+apply %.2f s = %.0f records/s (%.0f per CPU s); "
      "apply only %.0f records/s (%.0f per CPU s)\n",
      static_cast<unsigned long long>(applied), both, applied / both, applied / both_cpu,
      applied / apply, applied / apply_cpu);
  return 0;
}

int Restore(uint64_t n, const std::string& backup_url) {
  ManualClock clock;
  ObjectStoreOptions store_options;
  store_options.clock = &clock;
  auto objects = *OpenObjectStore("mem://pitr-bench-data", store_options);
  auto backups_or = OpenObjectStore(backup_url, store_options);
  if (!backups_or.ok()) {
    std::fprintf(stderr, "error: %s\n", backups_or.status().ToString().c_str());
    return 1;
  }
  auto backups = std::move(*backups_or);
  auto meta = *OpenMetaStore("mem://pitr-bench-meta");
  MetaWriter writer(meta.get(), &clock);
  Random random(1);
  if (!writer.Open().ok() || !EnsureClusterId(&writer, &random).ok()) return 1;
  BackupService service(&writer, objects.get(), backups.get(), &clock);
  auto snapshot = service.Create("bench");
  if (!snapshot.ok()) {
    std::fprintf(stderr, "error: %s\n", snapshot.status().ToString().c_str());
    return 1;
  }
  const uint64_t first_object = 1000000;
  if (!ArchiveHistory(backups.get(), snapshot->changelog_seq + 1, first_object,
                      snapshot->created_ms, 3600 * 1000, n)
           .ok()) {
    return 1;
  }
  // The SSTs live at the end of the history.
  for (uint64_t id = first_object + n - kLiveSsts; id < first_object + n; ++id) {
    if (!objects->Put("data/" + keys::Hex16(id) + ".sst", "x").ok()) return 1;
  }
  clock.Set(snapshot->created_ms + 3600 * 1000 + 1000);
  BackupStorage storage(backups.get());
  for (bool dry_run : {true, false}) {
    auto target = *OpenMetaStore(dry_run ? "mem://pitr-bench-dry" : "mem://pitr-bench-target");
    PointInTimeOptions options;
    options.clock = &clock;
    options.to_time = FormatRfc3339Millis(snapshot->created_ms + 3600 * 1000);
    options.dry_run = dry_run;
    auto start = SteadyClock::now();
    double cpu_start = CpuSeconds();
    auto plan = RestoreToPoint(&storage, objects.get(), target.get(), options);
    double seconds = SecondsSince(start);
    double cpu = CpuSeconds() - cpu_start;
    if (!plan.ok()) {
      std::fprintf(stderr, "error: %s\n", plan.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "restore %s to snapshot + 1 h: %llu records replayed from %llu segments, "
        "%llu snapshot keys, %llu SSTs, %.2f s (%.2f CPU s, 2 threads)\n",
        dry_run ? "(dry run)" : "(written)",
        static_cast<unsigned long long>(plan->replayed_records),
        static_cast<unsigned long long>(plan->segments_read),
        static_cast<unsigned long long>(plan->keys),
        static_cast<unsigned long long>(plan->sst_count), seconds, cpu);
  }
  return 0;
}

// ---- 3. big restore: peak memory at millions of metadata keys ------------------------

using bench::Check;
using bench::Die;
using bench::Must;

constexpr uint64_t kFirstTailObject = uint64_t{1} << 32;  // above every snapshot SST
constexpr int64_t kTailSpanMs = 3600 * 1000;              // the tail's records span 1 h

// The recorded (and listed) size of SST `id`: about 32 MiB, cheap to recompute.
uint64_t BigSstSize(uint64_t id) { return (32u << 20) - (id * 7919) % (1u << 20); }

std::string BigSstValue(uint64_t id) {
  SstMeta meta = bench::SyntheticSst(id);
  meta.file_size = BigSstSize(id);
  return EncodeSstMeta(meta);
}

// Lists data/<id>.sst for ids in `ranges` (ascending, inclusive) with BigSstSize, without
// storing them; every other key lives in a mem:// store.
class ListedSstStore final : public ObjectStore {
 public:
  ListedSstStore(std::vector<std::pair<uint64_t, uint64_t>> ranges, const std::string& url)
      : ranges_(std::move(ranges)), rest_(Must(OpenObjectStore(url), "open mem store")) {}
  using ObjectStore::NewWriter;
  Status Put(std::string_view key, std::string_view data) override { return rest_->Put(key, data); }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    return rest_->PutIfAbsent(key, data);
  }
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override {
    return rest_->NewWriter(key, mode);
  }
  Result<std::string> Get(std::string_view key) override { return rest_->Get(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return rest_->GetRange(key, offset, length);
  }
  Result<ObjectMeta> Head(std::string_view key) override { return rest_->Head(key); }
  Status Delete(std::string_view key) override { return rest_->Delete(key); }
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override {
    if (prefix != kSstObjectPrefix) return rest_->List(prefix, token, limit);
    uint64_t after = 0;
    bool started = !token.empty() && ParseSstObjectKey(token, &after);
    ListPage page;
    for (const auto& [first, last] : ranges_) {
      for (uint64_t id = started ? std::max(first, after + 1) : first; id <= last; ++id) {
        if (page.objects.size() == limit) {
          page.next_token = page.objects.back().key;
          return page;
        }
        page.objects.push_back({SstObjectKey(id), BigSstSize(id), 0});
      }
    }
    return page;
  }
  std::string DescribeForLog() const override { return "listed-ssts+" + rest_->DescribeForLog(); }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;
  std::unique_ptr<ObjectStore> rest_;
};

// N SSTs 1..N and the keys every cluster has, loaded straight into `store`.
void LoadBigMeta(MetaStore* store, uint64_t n) {
  bench::MetaLoader load(store);
  load.Put(std::string(keys::kStorageVersion),
           EncodeVersionHeader({n + 1, bench::kBaseEpoch + n * 8}));
  for (uint64_t id = 1; id <= n; ++id) load.Put(keys::SstKey(id), BigSstValue(id));
  load.Put(std::string(keys::kCatalogVersion), "1");
  load.Put(keys::TableKey(1), EncodeTableRecord(TableInfo{1, "t1", bench::kBaseEpoch, 0}));
  load.Put(keys::TableNameKey("t1"), "1");
  load.Put(keys::IdKey("object"), std::to_string(n + 1));
  load.Put(keys::IdKey("table"), "2");
  load.Put(std::string(keys::kClusterId), "5f0c9a2e-bench-cluster");
  load.Put(keys::ParamKey("checkpoint_interval"), "1000");
  load.Finish();
}

// Tail record i: a checkpoint adds SST kFirstTailObject + i, a compaction retires SST
// i + 1 of the snapshot, so the state stays at N SSTs.
ChangelogRecord TailRecord(uint64_t seq, uint64_t i, int64_t wall_ms) {
  ChangelogRecord r;
  r.seq = seq;
  r.epoch = EpochFromMillis(wall_ms);
  r.wall_time_ms = wall_ms;
  r.ops.push_back(Op::Put(keys::SstKey(kFirstTailObject + i), BigSstValue(kFirstTailObject + i)));
  r.ops.push_back(Op::Delete(keys::SstKey(i + 1)));
  r.ops.push_back(Op::Put(std::string(keys::kStorageVersion), EncodeVersionHeader({seq, r.epoch})));
  r.ops.push_back(Op::Put(keys::IdKey("object"), std::to_string(kFirstTailObject + i + 1)));
  return r;
}

// The snapshot and the archived tail in fs://`dir`/backup. Returns the snapshot time.
int64_t PrepareBig(const std::string& dir, uint64_t n, uint64_t tail) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ManualClock clock(1'764'000'000'000);
  auto meta = Must(OpenMetaStore("mem://pitr-bench-big-" + std::to_string(n)), "open source");
  LoadBigMeta(meta.get(), n);
  MetaWriter writer(meta.get(), &clock);
  Check(writer.Open(), "open meta writer");
  auto objects = Must(OpenObjectStore("mem://pitr-bench-big-objects"), "open objects");
  auto backups = Must(OpenObjectStore("fs://" + dir + "/backup"), "open backup storage");
  BackupService service(&writer, objects.get(), backups.get(), &clock);
  SnapshotEntry snapshot = Must(service.Create("big"), "backup");
  std::vector<ChangelogRecord> pending;
  for (uint64_t i = 0; i < tail; ++i) {
    int64_t wall = snapshot.created_ms + 1 + static_cast<int64_t>(i * (kTailSpanMs - 100) / tail);
    pending.push_back(TailRecord(snapshot.changelog_seq + 1 + i, i, wall));
    if (pending.size() == kSegmentRecords || i + 1 == tail) {
      Check(
          backups->Put(SegmentKey(pending.front().seq, pending.back().seq), EncodeSegment(pending)),
          "archive");
      pending.clear();
    }
  }
  return snapshot.created_ms;
}

std::string ProcStatus(const char* field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field)) return line.substr(line.find_first_not_of(" \t", strlen(field)));
  }
  return "?";
}

// FNV-1a over the restored keys the backup determines (not ids, excluded prefixes or the
// timeline a restore starts), and their count.
std::pair<uint64_t, uint64_t> DigestRestored(MetaStore* store) {
  uint64_t hash = 1469598103934665603ull, count = 0;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;
  };
  std::string from(1, '\0');
  for (;;) {
    auto page = Must(store->Range(from, "", 10000), "scan the target");
    for (const auto& kv : page) {
      bool skip = kv.key.starts_with(keys::kIdPrefix) || kv.key == "cluster/timeline";
      for (auto prefix : keys::kExcludedPrefixes) skip = skip || kv.key.starts_with(prefix);
      if (!skip) mix(kv.key), mix(kv.value), ++count;
    }
    if (page.size() < 10000) return {hash, count};
    from = page.back().key + '\0';
  }
}

// In a child: one restore from `dir`, then wall time, peak RSS and the digest.
int ChildRestore(const std::string& dir, uint64_t n, uint64_t tail, bool dry_run) {
  std::string run = dir + (dry_run ? "/run-dry" : "/run-write");
  std::filesystem::remove_all(run);
  std::filesystem::create_directories(run);
  // A restore records a new timeline in its backup storage: each run gets a fresh copy.
  std::filesystem::copy(dir + "/backup", run + "/backup", std::filesystem::copy_options::recursive);
  auto backups = Must(OpenObjectStore("fs://" + run + "/backup"), "open backup storage");
  ListedSstStore objects({{tail + 1, n}, {kFirstTailObject, kFirstTailObject + tail - 1}},
                         "mem://pitr-bench-big-run");
  auto target = Must(OpenMetaStore("sqlite://" + run + "/target.db"), "open target");
  BackupStorage storage(backups.get());
  int64_t created_ms = Must(storage.LoadManifest(), "manifest").snapshots.at(0).created_ms;
  ManualClock clock(created_ms + kTailSpanMs + 1000);
  PointInTimeOptions options;
  options.clock = &clock;
  options.to_time = FormatRfc3339Millis(created_ms + kTailSpanMs);  // after the last record
  options.dry_run = dry_run;
  std::string rss_before = ProcStatus("VmRSS:");
  auto start = SteadyClock::now();
  double cpu_start = CpuSeconds();
  PointInTimePlan plan = Must(RestoreToPoint(&storage, &objects, target.get(), options), "restore");
  double seconds = SecondsSince(start), cpu = CpuSeconds() - cpu_start;
  std::string hwm = ProcStatus("VmHWM:");
  auto [digest, count] =
      dry_run ? std::pair<uint64_t, uint64_t>{0, 0} : DigestRestored(target.get());
  std::printf(
      "big restore %s: %llu meta keys + %llu records: %.2f s (%.2f CPU s), peak RSS %s "
      "(VmHWM; %s before), %llu SSTs verified, %llu snapshot keys, "
      "restored %llu keys digest %016llx\n",
      dry_run ? "(dry run)" : "(written)", static_cast<unsigned long long>(n),
      static_cast<unsigned long long>(plan.replayed_records), seconds, cpu, hwm.c_str(),
      rss_before.c_str(), static_cast<unsigned long long>(plan.sst_count),
      static_cast<unsigned long long>(plan.keys), static_cast<unsigned long long>(count),
      static_cast<unsigned long long>(digest));
  std::fflush(stdout);
  return 0;
}

// Runs this binary with `args` in a child process; returns its exit code. The child's
// VmHWM is its own (reset by exec; ru_maxrss is not, it would include this process).
int RunChild(const std::vector<std::string>& args) {
  std::fflush(stdout);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) {
    Die("posix_spawn");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int Big(const std::vector<uint64_t>& sizes, uint64_t tail, const std::string& root) {
  for (uint64_t n : sizes) {
    std::string dir = root + "/n" + std::to_string(n);
    auto start = SteadyClock::now();
    PrepareBig(dir, n, tail);
    std::printf("prepared %llu meta keys + %llu archived records in %s (%.1f s)\n",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(tail),
                dir.c_str(), SecondsSince(start));
    for (const char* mode : {"dry", "write"}) {
      if (int rc = RunChild({"pitr_bench", "--child-restore", dir, std::to_string(n),
                             std::to_string(tail), mode})) {
        return rc;
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  uint64_t records = 1000000, tail = 200000;
  std::string backup_url = "mem://pitr-bench-backup", dir = "/tmp/pitr-bench";
  std::vector<uint64_t> meta_keys;
  if (argc == 6 && !std::strcmp(argv[1], "--child-restore")) {
    return cairn::ChildRestore(argv[2], std::strtoull(argv[3], nullptr, 10),
                               std::strtoull(argv[4], nullptr, 10), !std::strcmp(argv[5], "dry"));
  }
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--records") && i + 1 < argc) {
      records = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--backup-storage") && i + 1 < argc) {
      backup_url = argv[++i];
    } else if (!std::strcmp(argv[i], "--meta-keys") && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t at = 0; at < list.size(); at = list.find(',', at) + 1) {
        meta_keys.push_back(std::strtoull(list.c_str() + at, nullptr, 10));
        if (list.find(',', at) == std::string::npos) break;
      }
    } else if (!std::strcmp(argv[i], "--tail-records") && i + 1 < argc) {
      tail = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: pitr_bench [--records N] [--backup-storage URL]\n"
                   "       pitr_bench --meta-keys N[,N...] [--tail-records R] [--dir DIR]\n");
      return 2;
    }
  }
  if (!meta_keys.empty()) {
    for (uint64_t n : meta_keys) {
      if (n <= tail) cairn::bench::Die("--meta-keys must exceed --tail-records");
    }
    return cairn::Big(meta_keys, tail, dir);
  }
  if (records < 2000) records = 2000;
  if (int rc = cairn::Replay(records)) return rc;
  return cairn::Restore(records, backup_url);
}
