// mem:// specifics: the process-wide registry by name.
#include "meta_store/mem_meta_store.h"

#include <gtest/gtest.h>

#include "meta_store/meta_store.h"

namespace cairn {
namespace {

std::unique_ptr<MetaStore> MustOpen(const std::string& url) {
  auto store = OpenMetaStore(url);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

void Put(MetaStore* store, const std::string& key, const std::string& value) {
  Txn txn;
  txn.ops.push_back(Op::Put(key, value));
  ASSERT_TRUE(store->Commit(txn).ok());
}

TEST(MemMetaStoreTest, SameNameSharesData) {
  auto a = MustOpen("mem://shared-test");
  Put(a.get(), "k", "v");
  auto b = MustOpen("mem://shared-test");
  auto kv = b->Get("k");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, "v");
  a.reset();
  b.reset();
  auto reopened = MustOpen("mem://shared-test");
  EXPECT_TRUE((*reopened->Get("k")).has_value()) << "data survives closing every instance";
  MemMetaStore::Drop("shared-test");
}

TEST(MemMetaStoreTest, DifferentNamesAreIsolated) {
  auto a = MustOpen("mem://iso-a");
  auto b = MustOpen("mem://iso-b");
  Put(a.get(), "k", "v");
  EXPECT_FALSE((*b->Get("k")).has_value());
  MemMetaStore::Drop("iso-a");
  MemMetaStore::Drop("iso-b");
}

TEST(MemMetaStoreTest, EmptyNameIsPrivate) {
  auto a = MustOpen("mem://");
  auto b = MustOpen("mem://");
  Put(a.get(), "k", "v");
  EXPECT_FALSE((*b->Get("k")).has_value());
}

TEST(MemMetaStoreTest, DropForgetsTheData) {
  Put(MustOpen("mem://dropped").get(), "k", "v");
  MemMetaStore::Drop("dropped");
  EXPECT_FALSE((*MustOpen("mem://dropped")->Get("k")).has_value());
  MemMetaStore::Drop("dropped");
}

TEST(MemMetaStoreTest, OldSnapshotSurvivesManyOverwrites) {
  auto store = MustOpen("mem://");
  Put(store.get(), "k", "0");
  auto old = store->Snapshot();
  ASSERT_TRUE(old.ok());
  for (int i = 1; i <= 100; ++i) Put(store.get(), "k", std::to_string(i));
  auto middle = store->Snapshot();
  ASSERT_TRUE(middle.ok());
  for (int i = 101; i <= 200; ++i) Put(store.get(), "k", std::to_string(i));
  EXPECT_EQ((*(*old)->Get("k"))->value, "0");
  EXPECT_EQ((*(*middle)->Get("k"))->value, "100");
  old->reset();
  Put(store.get(), "k", "last");
  EXPECT_EQ((*(*middle)->Get("k"))->value, "100");
  EXPECT_EQ((*store->Get("k"))->value, "last");
}

}  // namespace
}  // namespace cairn
