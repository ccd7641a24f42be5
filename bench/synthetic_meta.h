// Synthetic cluster metadata for the backup benchmarks: N SSTs as a checkpoint or
// compaction would record them, stale SSTs, backup pins, and dummy SST objects.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "backup/restore_target.h"
#include "bench_util.h"
#include "common/epoch.h"
#include "common/random.h"
#include "meta/backup_pins.h"
#include "meta/keys.h"
#include "meta_store/meta_store.h"
#include "sst/internal_key.h"
#include "storage/storage_codec.h"

namespace cairn::bench {

inline const uint64_t kBaseEpoch = EpochFromMillis(1'764'000'000'000);

// An SST as a checkpoint or compaction would record it: a range of random 16-byte user
// keys of table 1 (as incompressible as real keys), ~32 MiB.
inline SstMeta SyntheticSst(uint64_t id) {
  Random rnd(id);
  SstMeta m;
  m.object_id = id;
  m.level = id % 16 == 0 ? 0 : 1;
  uint64_t lo = rnd.Next();
  uint64_t hi = lo + rnd.Uniform(uint64_t{1} << 40);
  char lo_key[17], hi_key[17];
  std::snprintf(lo_key, sizeof(lo_key), "%016llx", static_cast<unsigned long long>(lo));
  std::snprintf(hi_key, sizeof(hi_key), "%016llx", static_cast<unsigned long long>(hi));
  m.min_epoch = kBaseEpoch + id * 7 + rnd.Uniform(1 << 16);
  m.max_epoch = m.min_epoch + rnd.Uniform(uint64_t{1} << 30);
  m.smallest_key = sst::MakeInternalKey(1, lo_key, m.max_epoch, sst::ValueKind::kPut);
  m.largest_key = sst::MakeInternalKey(1, hi_key, m.min_epoch, sst::ValueKind::kPut);
  m.file_size = (32u << 20) - rnd.Uniform(1 << 20);
  m.entry_count = 250'000 + rnd.Uniform(10'000);
  m.table_ids = {1};
  return m;
}

// Puts through the restore batch writer (transactions sized by the store's limits);
// any error ends the benchmark.
class MetaLoader {
 public:
  explicit MetaLoader(MetaStore* store) : batch_(store) {}
  void Put(std::string key, std::string value) {
    Check(batch_.Put(std::move(key), std::move(value)), "load synthetic meta");
  }
  uint64_t Finish() {
    Check(batch_.Flush(), "load synthetic meta");
    return batch_.commits();
  }

 private:
  RestoreBatchWriter batch_;
};

// SSTs 1..ssts in the version (`make(id)`, default SyntheticSst), stale SSTs after them,
// `pins` backup pins that protect every stale SST, a version header, catalog, ids and
// params. Returns the commits used.
inline uint64_t LoadSyntheticMeta(MetaStore* store, uint64_t ssts, uint64_t stale = 0,
                                  uint64_t pins = 0, SstMeta (*make)(uint64_t) = SyntheticSst) {
  MetaLoader load(store);
  uint64_t max_id = ssts + stale;
  load.Put(std::string(keys::kStorageVersion),
           EncodeVersionHeader({ssts + 1, kBaseEpoch + max_id * 8}));
  for (uint64_t id = 1; id <= ssts; ++id) load.Put(keys::SstKey(id), EncodeSstMeta(make(id)));
  for (uint64_t id = ssts + 1; id <= max_id; ++id) {
    load.Put(keys::StaleKey(id), std::to_string(kBaseEpoch + id * 8));
  }
  for (uint64_t i = 1; i <= pins; ++i) {
    uint64_t epoch = kBaseEpoch + (ssts + 1) * 8 + (i - 1) * (stale / pins) * 8;
    load.Put(PinKey(i), EncodePin({i, epoch, max_id + 1}));
  }
  load.Put(std::string(keys::kCatalogVersion), "1");
  load.Put(keys::TableKey(1), EncodeTableRecord(TableInfo{1, "t1", kBaseEpoch, 0}));
  load.Put(keys::TableNameKey("t1"), "1");
  load.Put(keys::IdKey("object"), std::to_string(max_id + 1));
  load.Put(keys::IdKey("table"), "2");
  load.Put(keys::IdKey("version"), std::to_string(ssts + 2));
  load.Put(keys::IdKey("backup"), std::to_string(pins + 1));
  load.Put(std::string(keys::kClusterId), "5f0c9a2e-bench-cluster");
  load.Put(keys::ParamKey("checkpoint_interval"), "1000");
  return load.Finish();
}

// Dummy objects data/<16 hex>.sst for ids first..last under fs root `root` (fixtures,
// created without fsync). Sparse, of SyntheticSst(id)'s file_size, since restore checks
// each SST's size against the snapshot: they are only listed and stat'ed, and files
// without blocks delete fast on this discard-mounted disk.
inline void CreateDummyObjects(const std::string& root, uint64_t first, uint64_t last) {
  std::filesystem::create_directories(root + "/data");
  for (uint64_t id = first; id <= last; ++id) {
    std::string path = root + "/" + SstObjectKey(id);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) Die("create " + path);
    if (ftruncate(fd, static_cast<off_t>(SyntheticSst(id).file_size)) != 0) {
      Die("truncate " + path);
    }
    close(fd);
  }
}

}  // namespace cairn::bench
