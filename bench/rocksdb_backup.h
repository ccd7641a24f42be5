// RocksDB BackupEngine, the peer of cairn's backups in backup_bench and copy_backup_bench.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/backup_engine.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench_util.h"
#include "common/random.h"

namespace cairn::bench {

// Loads `rows` rows (key(i), value(rnd) with Random(7)) into a new RocksDB under
// dir/rocksdb, without WAL, flushed; returns the seconds of one CreateNewBackup into
// dir/rocksdb-backup with `background_operations` copy threads.
inline double RocksDbBackup(const std::string& dir, uint64_t rows,
                            const std::function<std::string(uint64_t)>& key,
                            const std::function<std::string(Random*)>& value,
                            int background_operations = 1) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir + "/rocksdb", &raw).ok()) Die("rocksdb open");
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  Random rnd(7);
  for (uint64_t i = 0; i < rows; ++i) {
    if (!db->Put(wo, key(i), value(&rnd)).ok()) Die("rocksdb put");
  }
  if (!db->Flush(rocksdb::FlushOptions()).ok()) Die("rocksdb flush");
  rocksdb::BackupEngine* engine_raw = nullptr;
  rocksdb::BackupEngineOptions bo(dir + "/rocksdb-backup");
  bo.max_background_operations = background_operations;
  if (!rocksdb::BackupEngine::Open(rocksdb::Env::Default(), bo, &engine_raw).ok()) {
    Die("backup engine open");
  }
  std::unique_ptr<rocksdb::BackupEngine> engine(engine_raw);
  auto start = std::chrono::steady_clock::now();
  if (!engine->CreateNewBackup(db.get(), /*flush_before_backup=*/true).ok()) Die("rocksdb backup");
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace cairn::bench
