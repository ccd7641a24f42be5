// Clones in the engine (docs/clones.md): the layered CloneObjectStore routes SSTs below
// its boundaries to the base's store, never writes or deletes them there, and lists in
// key order across layers; vacuum keeps what clone registrations pin and only forgets
// (never deletes) a clone's external objects.
#include <gtest/gtest.h>

#include "object_store/mem_object_store.h"
#include "storage/clone_object_store.h"
#include "storage/storage_test_env.h"

namespace cairn {
namespace {

using testing::StorageEnv;

std::unique_ptr<ObjectStore> Mem(const std::string& name) {
  DropMemObjectStore(name);
  return std::move(OpenObjectStore("mem://" + name)).value();
}

TEST(CloneObjectStoreTest, RoutesReadsRefusesWritesAndListsInOrder) {
  auto base = Mem("clone-test-base"), own = Mem("clone-test-own");
  ASSERT_TRUE(base->Put(SstObjectKey(3), "base-3").ok());
  ASSERT_TRUE(base->Put(SstObjectKey(7), "base-7").ok());  // above the boundary: not ours
  ASSERT_TRUE(base->Put("data/readme.txt", "x").ok());     // not an SST: never listed
  ASSERT_TRUE(own->Put(SstObjectKey(9), "own-9").ok());
  ObjectStore* base_raw = base.get();
  ObjectStore* own_raw = own.get();
  std::vector<CloneObjectStore::Layer> layers;
  layers.push_back({std::move(base), 5});
  CloneObjectStore clone(std::move(own), std::move(layers));

  EXPECT_TRUE(clone.IsExternal(3));
  EXPECT_FALSE(clone.IsExternal(5));
  EXPECT_EQ(*clone.Get(SstObjectKey(3)), "base-3");
  EXPECT_EQ(*clone.GetRange(SstObjectKey(3), 5, 10), "3");
  EXPECT_EQ(clone.Head(SstObjectKey(3))->size, 6u);
  EXPECT_TRUE(clone.Get(SstObjectKey(7)).status().IsNotFound());  // the own store's id
  EXPECT_EQ(*clone.Get(SstObjectKey(9)), "own-9");
  // Never written or deleted through the clone.
  EXPECT_EQ(clone.Delete(SstObjectKey(3)).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(clone.Put(SstObjectKey(2), "x").code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(clone.PutIfAbsent(SstObjectKey(4), "x").code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(clone.NewWriter(SstObjectKey(1), WriteMode::kCreateOnly).ok());
  EXPECT_EQ(*base_raw->Get(SstObjectKey(3)), "base-3");
  EXPECT_TRUE(base_raw->Head(SstObjectKey(2)).status().IsNotFound());
  // Everything else is the own store's.
  ASSERT_TRUE(clone.Put("cluster/identity.json", "{}").ok());
  EXPECT_TRUE(own_raw->Head("cluster/identity.json").ok());
  EXPECT_TRUE(base_raw->Head("cluster/identity.json").status().IsNotFound());

  for (size_t page_size : {1, 2, 1000}) {
    std::vector<std::string> keys;
    ASSERT_TRUE(ListAll(
                    clone, "data/",
                    [&](const ObjectMeta& m) {
                      keys.push_back(m.key);
                      return Status::OK();
                    },
                    page_size)
                    .ok());
    EXPECT_EQ(keys, (std::vector<std::string>{SstObjectKey(3), SstObjectKey(9)})) << page_size;
  }

  clone.Detach();
  EXPECT_FALSE(clone.IsExternal(3));
  EXPECT_TRUE(clone.Get(SstObjectKey(3)).status().IsNotFound());
  DropMemObjectStore("clone-test-base");
  DropMemObjectStore("clone-test-own");
}

// Four checkpoints compacted into one SST: four stale objects.
void MakeStale(StorageEnv& env) {
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 4; ++i) {
    WriteBatch b;
    b.Put(t->id, "k" + std::to_string(i), "v");
    ASSERT_TRUE(env.cluster->Write(b).ok());
  }
  ASSERT_TRUE(env.cluster->Compact().ok());
  env.clock.Advance(10);  // out of the (zero) retention window: only pins keep them
}

TEST(CloneVacuumTest, RegistrationPinsKeepObjectsUntilReleased) {
  StorageEnv env;
  std::vector<BackupPin> registrations;
  env.options.external_pins = [&]() -> Result<std::vector<BackupPin>> { return registrations; };
  ASSERT_TRUE(env.Open().ok());
  MakeStale(env);
  ASSERT_FALSE(HasFatalFailure());
  std::set<uint64_t> stale = env.StaleObjects();
  ASSERT_EQ(stale.size(), 4u);
  registrations.push_back(BackupPin{0, 0, *stale.rbegin() + 1, "", 0});
  auto report = env.cluster->Vacuum({true, false});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 0u);
  EXPECT_EQ(env.StaleObjects(), stale);
  // A registration newer than the objects' stale epoch does not keep them.
  registrations.clear();
  registrations.push_back(BackupPin{0, ~0ull >> 1, *stale.rbegin() + 1, "", 0});
  report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 4u);
  for (uint64_t id : stale)
    EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).status().IsNotFound());
}

TEST(CloneVacuumTest, UnreadableRegistrationsFailTheVacuumAndDeleteNothing) {
  StorageEnv env;
  env.options.external_pins = []() -> Result<std::vector<BackupPin>> {
    return Status::IOError("backup storage down");
  };
  ASSERT_TRUE(env.Open().ok());
  MakeStale(env);
  ASSERT_FALSE(HasFatalFailure());
  std::set<uint64_t> stale = env.StaleObjects();
  auto report = env.cluster->Vacuum({});
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("clone registrations"), std::string::npos);
  for (uint64_t id : stale) EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).ok());
}

TEST(CloneVacuumTest, ExternalObjectsAreForgottenNeverDeleted) {
  StorageEnv env;
  uint64_t boundary = 0;
  env.options.is_external_object = [&](uint64_t id) { return id < boundary; };
  ASSERT_TRUE(env.Open().ok());
  MakeStale(env);
  ASSERT_FALSE(HasFatalFailure());
  std::set<uint64_t> stale = env.StaleObjects();
  boundary = *stale.rbegin() + 1;
  auto report = env.cluster->Vacuum({true, false});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 0u);
  EXPECT_EQ(report->external_released, 4u);
  EXPECT_TRUE(env.StaleObjects().empty());
  for (uint64_t id : stale) EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).ok()) << id;
  // Full vacuum again: now unreferenced, still external, still there.
  report = env.cluster->Vacuum({true, false});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->orphans, 0u);
  for (uint64_t id : stale) EXPECT_TRUE(env.objects()->Head(SstObjectKey(id)).ok()) << id;
}

}  // namespace
}  // namespace cairn
