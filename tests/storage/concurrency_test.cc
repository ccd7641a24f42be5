// Foreground writes and reads racing the checkpoint and compaction threads, manual
// compactions and full vacuums (min age 0): no errors, no lost writes, and vacuum never
// deletes an SST in flight or in the version. Run under TSAN to check the locking.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/storage_test_env.h"

namespace cairn {
namespace {

TEST(ConcurrencyTest, WritersReadersCompactionAndVacuumRace) {
  testing::StorageEnv env;
  env.options.background_threads = true;
  env.options.checkpoint_interval_ms = 2;
  env.options.target_sst_bytes = 2048;
  ASSERT_TRUE(env.Open().ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  Cluster* c = env.cluster.get();
  constexpr int kWriters = 3, kOps = 200;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kOps; ++i) {
        WriteBatch b;
        b.Put(t->id, "w" + std::to_string(w) + "-" + std::to_string(i % 50), std::to_string(i));
        if (!c->Write(b, /*wait=*/i % 10 == 0).ok()) errors++;
      }
    });
  }
  std::thread reader([&] {
    while (!done) {
      if (!testing::ScanAll(c, t->id).ok()) errors++;
      if (!c->Get(t->id, "w0-1").ok()) errors++;
    }
  });
  std::thread maintenance([&] {
    while (!done) {
      if (!c->Compact().ok()) errors++;
      if (!c->Vacuum(VacuumOptions{/*full=*/true, false}).ok()) errors++;
      env.clock.Advance(1);
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(c->Flush().ok());
  done = true;
  reader.join();
  maintenance.join();
  EXPECT_EQ(errors.load(), 0);

  auto rows = testing::ScanAll(c, t->id);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), static_cast<size_t>(kWriters * 50));
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < 50; ++k) {
      EXPECT_EQ(rows->at("w" + std::to_string(w) + "-" + std::to_string(k)),
                std::to_string(kOps - 50 + k));
    }
  }
  std::set<uint64_t> stored = env.StoredObjects();
  for (uint64_t id : env.VersionObjects()) EXPECT_TRUE(stored.count(id)) << id;
}

}  // namespace
}  // namespace cairn
