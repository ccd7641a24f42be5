// fs:// specifics beyond the conformance suite: on-disk layout, temp files, the
// injected clock, and the limits of mapping keys to paths.
#include <gmock/gmock.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "object_store/fs_file.h"
#include "object_store/object_store.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FsObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenObjectStore("fs://" + dir_.path().string(), {&clock_});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  std::vector<std::string> TempFiles() const {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
      if (e.path().filename().string().starts_with(".tmp-")) found.push_back(e.path());
    }
    return found;
  }

  std::vector<std::string> ListedKeys() {
    auto page = store_->List("", "", 100);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> keys;
    if (page.ok()) {
      for (const auto& o : page->objects) keys.push_back(o.key);
    }
    return keys;
  }

  cairn::testing::TempDir dir_;
  ManualClock clock_{1'600'000'000'123};
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(FsObjectStoreTest, ObjectsAreFilesAtTheirKeyPath) {
  ASSERT_TRUE(store_->Put("data/000000001234.sst", "sst bytes").ok());
  std::ifstream in(dir_.Sub("data/000000001234.sst"));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "sst bytes");
  EXPECT_TRUE(TempFiles().empty());
}

// An ObjectReader holds the file open: NotFound at the open for a missing object, and
// it keeps reading an object deleted after the open (what a reader of an SST that a
// vacuum removed mid-read needs), while GetRange then says NotFound.
TEST_F(FsObjectStoreTest, ReaderKeepsTheFileOpen) {
  EXPECT_EQ(store_->OpenReader("data/none.sst").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store_->Put("data/1.sst", "0123456789").ok());
  auto reader = store_->OpenReader("data/1.sst");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(*(*reader)->Read(2, 3), "234");
  ASSERT_TRUE(store_->Delete("data/1.sst").ok());
  EXPECT_EQ(store_->GetRange("data/1.sst", 2, 3).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*(*reader)->Read(7, 100), "789");
  EXPECT_EQ(*(*reader)->Read(10, 1), "");
  EXPECT_EQ(store_->OpenReader("bad//key").status().code(), ErrorCode::kInvalidArgument);
}

// Past the process's file-descriptor limit OpenReader still succeeds, with readers
// that open the file per read (those then see a deletion, the held-open ones do not).
TEST_F(FsObjectStoreTest, ReaderFallsBackWhenOutOfFileDescriptors) {
  ASSERT_TRUE(store_->Put("data/1.sst", "0123456789").ok());
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<std::unique_ptr<ObjectReader>> readers;
  bool all_opened = true;
  for (int i = 0; i < 100; ++i) {
    auto r = store_->OpenReader("data/1.sst");
    if (!r.ok()) all_opened = false;
    if (r.ok()) readers.push_back(std::move(r).value());
  }
  // Readers hold at most half the descriptors: writes still open files.
  Status put = store_->Put("data/2.sst", "written while 100 readers are open");
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(all_opened);
  EXPECT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(*store_->Get("data/2.sst"), "written while 100 readers are open");
  for (auto& r : readers) EXPECT_EQ(*r->Read(2, 3), "234");
  ASSERT_TRUE(store_->Delete("data/1.sst").ok());
  int held = 0, per_read = 0;
  for (auto& r : readers) {
    auto got = r->Read(2, 3);
    if (got.ok()) {
      EXPECT_EQ(*got, "234");
      ++held;
    } else {
      EXPECT_EQ(got.status().code(), ErrorCode::kNotFound) << got.status().ToString();
      ++per_read;
    }
  }
  EXPECT_GT(held, 0);
  EXPECT_GT(per_read, 0);
}

TEST_F(FsObjectStoreTest, MtimeComesFromTheInjectedClock) {
  ASSERT_TRUE(store_->Put("a", "1").ok());
  clock_.Advance(5'000);
  auto writer = store_->NewWriter("b");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("2").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(store_->Head("a")->mtime_ms, 1'600'000'000'123);
  EXPECT_EQ(store_->Head("b")->mtime_ms, 1'600'000'005'123);
  auto page = store_->List("", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].mtime_ms, 1'600'000'000'123);
  EXPECT_EQ(page->objects[1].mtime_ms, 1'600'000'005'123);
}

TEST_F(FsObjectStoreTest, ListSkipsTempFilesAndNamesThatAreNotKeys) {
  ASSERT_TRUE(store_->Put("data/1.sst", "x").ok());
  fs::create_directories(dir_.Sub("data/sub"));
  std::ofstream(dir_.Sub("data/.tmp-99-1")) << "in-flight upload of a crashed process";
  std::ofstream(dir_.Sub("data/bad\x01name")) << "not a valid key";
  std::ofstream(dir_.Sub("data/a..b")) << "not a valid key";
  fs::create_symlink(dir_.Sub("data/1.sst"), dir_.Sub("data/link"));
  EXPECT_EQ(ListedKeys(), std::vector<std::string>{"data/1.sst"});
}

TEST_F(FsObjectStoreTest, UnfinishedWriterKeepsATempFileUntilDropped) {
  {
    auto writer = store_->NewWriter("data/2.sst");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(3 << 20, 'w')).ok());
    EXPECT_EQ(TempFiles().size(), 1u);
    EXPECT_TRUE(ListedKeys().empty());
  }
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_FALSE(fs::exists(dir_.Sub("data/2.sst")));
}

TEST_F(FsObjectStoreTest, AKeyAndKeysBelowItCannotCoexist) {
  ASSERT_TRUE(store_->Put("a", "file").ok());
  Status below = store_->Put("a/b", "x");
  EXPECT_EQ(below.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(below.message(), HasSubstr("'a/b'"));
  EXPECT_EQ(store_->Get("a/b").status().code(), ErrorCode::kNotFound);

  ASSERT_TRUE(store_->Put("x/y", "nested").ok());
  Status above = store_->Put("x", "x");
  EXPECT_EQ(above.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(above.message(), HasSubstr("'x'"));
  EXPECT_EQ(store_->Head("x").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Delete("x").ok());
  EXPECT_EQ(*store_->Get("x/y"), "nested");
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_EQ(ListedKeys(), (std::vector<std::string>{"a", "x/y"}));
}

TEST_F(FsObjectStoreTest, EmptyDirectoryLeftByDeletesDoesNotBlockAKey) {
  ASSERT_TRUE(store_->Put("d/e", "1").ok());
  ASSERT_TRUE(store_->Delete("d/e").ok());
  ASSERT_TRUE(store_->Put("d", "2").ok());
  EXPECT_EQ(*store_->Get("d"), "2");
  EXPECT_EQ(ListedKeys(), std::vector<std::string>{"d"});
}

// Create-only publishing, once with renameat2(RENAME_NOREPLACE) and once with the
// link() fallback that filesystems without it get.
class FsCreateOnlyTest : public FsObjectStoreTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    ForceFsLinkFallbackForTesting(GetParam());
    FsObjectStoreTest::SetUp();
  }
  void TearDown() override { ForceFsLinkFallbackForTesting(false); }
};

INSTANTIATE_TEST_SUITE_P(Publish, FsCreateOnlyTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "LinkFallback" : "RenameNoReplace";
                         });

TEST_P(FsCreateOnlyTest, RacingPutIfAbsentHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 50; ++round) {
    const std::string key = "data/" + std::to_string(round) + ".sst";
    std::atomic<int> ready{0}, won{0}, refused{0}, winner{-1};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ++ready;
        while (ready.load() < kThreads) {
        }
        Status s = store_->PutIfAbsent(key, "thread " + std::to_string(t));
        if (s.ok()) {
          ++won;
          winner = t;
        } else {
          ++refused;
          EXPECT_EQ(s.code(), ErrorCode::kAlreadyExists) << s.ToString();
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(won.load(), 1) << key;
    EXPECT_EQ(refused.load(), kThreads - 1) << key;
    EXPECT_EQ(*store_->Get(key), "thread " + std::to_string(winner.load()));
  }
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_EQ(ListedKeys().size(), 50u);
}

TEST_P(FsCreateOnlyTest, RefusedWriteLeavesTheObjectAndNoTempFile) {
  ASSERT_TRUE(store_->PutIfAbsent("data/1.sst", "first").ok());
  EXPECT_EQ(store_->Head("data/1.sst")->mtime_ms, 1'600'000'000'123);
  clock_.Advance(1'000);
  Status put = store_->PutIfAbsent("data/1.sst", "second");
  EXPECT_EQ(put.code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(put.message(), HasSubstr("'data/1.sst'"));
  EXPECT_THAT(put.message(), HasSubstr("fs://" + dir_.path().string()));
  auto writer = store_->NewWriter("data/1.sst", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(std::string(3 << 20, 'w')).ok());
  EXPECT_EQ((*writer)->Finish().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(*store_->Get("data/1.sst"), "first");
  EXPECT_EQ(store_->Head("data/1.sst")->mtime_ms, 1'600'000'000'123) << "untouched";
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_EQ(ListedKeys(), std::vector<std::string>{"data/1.sst"});
}

TEST_P(FsCreateOnlyTest, EmptyDirectoryLeftByDeletesDoesNotBlockAKey) {
  ASSERT_TRUE(store_->Put("d/e", "1").ok());
  ASSERT_TRUE(store_->Delete("d/e").ok());
  ASSERT_TRUE(store_->PutIfAbsent("d", "2").ok());
  EXPECT_EQ(*store_->Get("d"), "2");
  ASSERT_TRUE(store_->Put("x/y", "nested").ok());
  Status above = store_->PutIfAbsent("x", "x");
  EXPECT_EQ(above.code(), ErrorCode::kInvalidArgument) << above.ToString();
  EXPECT_THAT(above.message(), HasSubstr("'x'"));
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_EQ(ListedKeys(), (std::vector<std::string>{"d", "x/y"}));
}

TEST_F(FsObjectStoreTest, SecondStoreOnTheSameRootSeesTheObjects) {
  ASSERT_TRUE(store_->Put("shared", "v").ok());
  auto other = OpenObjectStore("fs://" + dir_.path().string() + "/");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*(*other)->Get("shared"), "v");
}

}  // namespace
}  // namespace cairn
