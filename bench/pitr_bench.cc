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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
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
  std::string meta(64, 'm');
  r.ops.push_back(Op::Put(keys::SstKey(object_id), meta));
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
        "%llu keys, %.2f s (%.2f CPU s, 2 threads)\n",
        dry_run ? "(dry run)" : "(written)",
        static_cast<unsigned long long>(plan->replayed_records),
        static_cast<unsigned long long>(plan->segments_read),
        static_cast<unsigned long long>(plan->keys), seconds, cpu);
  }
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  uint64_t records = 1000000;
  std::string backup_url = "mem://pitr-bench-backup";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--records") && i + 1 < argc) {
      records = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--backup-storage") && i + 1 < argc) {
      backup_url = argv[++i];
    } else {
      std::fprintf(stderr, "usage: pitr_bench [--records N] [--backup-storage URL]\n");
      return 2;
    }
  }
  if (records < 2000) records = 2000;
  if (int rc = cairn::Replay(records)) return rc;
  return cairn::Restore(records, backup_url);
}
