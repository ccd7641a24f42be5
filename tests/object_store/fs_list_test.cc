// Paged listing of large fs:// directories: the sorted-snapshot cache must give exactly
// the keys an uncached walk gives, page after page, and must never serve a directory
// state older than the last change (including changes right after a listing).
#include "object_store/fs_list.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/random.h"
#include "object_store/object_store.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using Keys = std::vector<std::string>;

class FsListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenObjectStore("fs://" + dir_.path().string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  // Creates the file for `key` directly (fast; the store's own puts fsync).
  void Touch(const std::string& key) {
    fs::path path = dir_.path() / key;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << key;
    expected_.insert(key);
  }

  // A large flat directory plus the awkward neighbours: a subdirectory whose name is a
  // prefix of a file name, names sharing a long prefix, a temp file, a symlink.
  void Populate(int n) {
    Random rnd(42);
    for (int i = 0; i < n; ++i) Touch("data/" + std::to_string(rnd.Next()) + ".sst");
    Touch("data/m/inner1");
    Touch("data/m/inner2");
    Touch("data/m0");
    Touch("data/m.x");
    // Names alike in their first 16 bytes (the sort compares those first), one a
    // prefix of another, one a directory.
    for (const char* name : {"shared-prefix-0123456789", "shared-prefix-0123456789a",
                             "shared-prefix-012345678", "shared-prefix-0123456788",
                             "shared-prefix-0123456787/inner", "shared-prefix-01234567~"}) {
      Touch(std::string("data/") + name);
    }
    Touch("a-first");
    Touch("zz-last");
    std::ofstream(dir_.path() / "data" / ".tmp-1-1") << "partial";
    fs::create_symlink(dir_.path() / "a-first", dir_.path() / "data" / "link");
  }

  Keys ListPaged(const std::string& prefix, size_t limit) {
    Keys keys;
    std::string token;
    do {
      auto page = store_->List(prefix, token, limit);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->objects.size(), limit);
      for (const auto& o : page->objects) keys.push_back(o.key);
      token = page->next_token;
    } while (!token.empty());
    return keys;
  }

  Keys Expected(const std::string& prefix) const {
    Keys keys;
    for (const auto& k : expected_) {
      if (k.starts_with(prefix)) keys.push_back(k);
    }
    return keys;
  }

  // Lets the directory's mtime tick pass so its snapshot may be cached.
  static void LetTimestampSettle() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

  testing::TempDir dir_;
  std::unique_ptr<ObjectStore> store_;
  std::set<std::string> expected_;
};

TEST_F(FsListTest, PagesOfALargeDirectoryAreTheSortedKeys) {
  Populate(3000);
  LetTimestampSettle();
  for (size_t limit : {7, 1000, 5000}) {
    EXPECT_EQ(ListPaged("", limit), Expected("")) << "limit " << limit;
    EXPECT_EQ(ListPaged("data/", limit), Expected("data/")) << "limit " << limit;
  }
  EXPECT_EQ(ListPaged("data/1", 13), Expected("data/1"));
  EXPECT_EQ(ListPaged("data/m", 1), Expected("data/m"));
  EXPECT_EQ(ListPaged("data/m/", 1), Expected("data/m/"));
  EXPECT_EQ(ListPaged("data/q", 10), Keys{});
}

TEST_F(FsListTest, ChangesBetweenPagesAreSeen) {
  Populate(3000);
  LetTimestampSettle();
  ASSERT_EQ(ListPaged("data/", 100), Expected("data/"));  // snapshot now cached

  auto first = store_->List("data/", "", 100);
  ASSERT_TRUE(first.ok());
  const std::string token = first->next_token;
  Keys after_token = Expected("data/");
  after_token.erase(after_token.begin(),
                    std::upper_bound(after_token.begin(), after_token.end(), token));
  ASSERT_GT(after_token.size(), 10u);
  // Behind the token: not listed; ahead: listed; deleted ahead: gone.
  ASSERT_TRUE(store_->Put("data/0000-before", "x").ok());
  ASSERT_TRUE(store_->Put("data/zzzz-after", "x").ok());
  ASSERT_TRUE(store_->Delete(after_token[5]).ok());
  Keys want(after_token.begin(), after_token.end());
  want.erase(want.begin() + 5);
  want.push_back("data/zzzz-after");
  std::sort(want.begin(), want.end());

  Keys rest;
  std::string next = token;
  do {
    auto page = store_->List("data/", next, 100);
    ASSERT_TRUE(page.ok());
    for (const auto& o : page->objects) rest.push_back(o.key);
    next = page->next_token;
  } while (!next.empty());
  EXPECT_EQ(rest, want);
}

// Changes made right after a listing fall in the same timestamp tick as the listing;
// the cached snapshot must not hide them.
TEST_F(FsListTest, ChangesRightAfterAListingAreSeen) {
  Populate(2000);
  LetTimestampSettle();
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(ListPaged("data/", 500).size(), Expected("data/").size());
    std::string key = "data/new-" + std::to_string(i);
    ASSERT_TRUE(store_->Put(key, "x").ok());
    expected_.insert(key);
    ASSERT_EQ(ListPaged("data/", 500), Expected("data/")) << "after put " << i;
    ASSERT_TRUE(store_->Delete(key).ok());
    expected_.erase(key);
    ASSERT_EQ(ListPaged("data/", 500), Expected("data/")) << "after delete " << i;
  }
}

TEST(FsListCacheTest, ReusesASnapshotUntilTheDirectoryChanges) {
  testing::TempDir dir;
  for (int i = 0; i < 2000; ++i) std::ofstream(dir.Sub("f" + std::to_string(i))) << i;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int fd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  if (st.st_mtim.tv_nsec % 1000 == 0) GTEST_SKIP() << "coarse directory timestamps";
  FsListCache cache;
  auto a = cache.Get(fd, dir.path());
  auto b = cache.Get(fd, dir.path());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->entries.size(), 2000u);
  EXPECT_EQ(a->get(), b->get());  // unchanged: the cached snapshot

  std::ofstream(dir.Sub("g-new")) << "new";
  auto c = cache.Get(fd, dir.path());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->entries.size(), 2001u);
  EXPECT_EQ((*c)->name((*c)->entries.back()), "g-new");
  close(fd);
}

}  // namespace
}  // namespace cairn
