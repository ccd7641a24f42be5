// A meta store opened lazily (cairn restore's target): nothing exists until its first
// write, and RemoveCreated leaves nothing of a store it created once it is empty again.
#include "meta_store/lazy_meta_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<std::string> DirEntries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  return names;
}

TEST(LazyMetaStoreTest, RemoveCreatedLeavesNoFileOnceEmptyAgain) {
  TempDir dir;
  const std::string path = dir.Sub("target.db");
  auto store = OpenMetaStoreLazily("sqlite://" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->CanUndoCreate());
  EXPECT_TRUE((*store)->RemoveCreated().ok());  // nothing created yet: nothing to do
  EXPECT_TRUE(DirEntries(dir.path()).empty());

  ASSERT_TRUE((*store)->Commit({{}, {Op::Put("user/a", "1")}}).ok());
  ASSERT_TRUE(fs::exists(path));
  Status kept = (*store)->RemoveCreated();  // not empty: never removed
  EXPECT_EQ(kept.code(), ErrorCode::kFailedPrecondition) << kept.ToString();
  EXPECT_EQ((*(*store)->Get("user/a"))->value, "1");

  ASSERT_TRUE((*store)->Commit({{}, {Op::Delete("user/a")}}).ok());
  ASSERT_TRUE((*store)->RemoveCreated().ok());
  EXPECT_TRUE(DirEntries(dir.path()).empty());  // no file, no -wal, no -shm
  // Reads as empty again, and a later write creates it anew.
  EXPECT_FALSE((*(*store)->Get("user/a")).has_value());
  ASSERT_TRUE((*store)->Commit({{}, {Op::Put("user/b", "2")}}).ok());
  EXPECT_TRUE(fs::exists(path));
}

TEST(LazyMetaStoreTest, ExistingStoreIsNeverRemoved) {
  TempDir dir;
  const std::string url = "sqlite://" + dir.Sub("existing.db");
  ASSERT_TRUE(OpenMetaStore(url).ok());  // creates the file
  auto store = OpenMetaStoreLazily(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Commit({{}, {Op::Put("user/a", "1")}}).ok());
  ASSERT_TRUE((*store)->Commit({{}, {Op::Delete("user/a")}}).ok());
  EXPECT_TRUE((*store)->RemoveCreated().ok());
  EXPECT_TRUE(fs::exists(dir.Sub("existing.db")));
}

// A file that replaced the created one meanwhile is not the store's to remove.
TEST(LazyMetaStoreTest, ReplacedFileIsKept) {
  TempDir dir;
  const std::string path = dir.Sub("target.db");
  auto store = OpenMetaStoreLazily("sqlite://" + path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Commit({{}, {Op::Put("user/a", "1")}}).ok());
  ASSERT_TRUE((*store)->Commit({{}, {Op::Delete("user/a")}}).ok());
  const std::string other = dir.Sub("other.db");
  ASSERT_TRUE(OpenMetaStore("sqlite://" + other).ok());
  fs::rename(other, path);
  ASSERT_TRUE((*store)->RemoveCreated().ok());
  EXPECT_TRUE(fs::exists(path));
}

}  // namespace
}  // namespace cairn
