// Bad input: malformed store URLs, unusable data directories, invalid keys. Each case
// checks the error code and that the message names what is wrong.
#include <gmock/gmock.h>

#include <fstream>

#include "object_store/object_store.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

using ::testing::HasSubstr;

Status OpenError(const std::string& url) {
  auto store = OpenObjectStore(url);
  if (store.ok()) return Status::OK();
  return store.status();
}

TEST(ObjectStoreUrlTest, RelativeFsPathAsksForAnAbsolutePath) {
  Status s = OpenError("fs://relative/path");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("absolute path"));
  EXPECT_THAT(s.message(), HasSubstr("fs://relative/path"));
}

TEST(ObjectStoreUrlTest, FsUrlWithoutPathIsRejected) {
  Status s = OpenError("fs://");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("missing path"));
}

TEST(ObjectStoreUrlTest, FsUrlWithQueryIsRejected) {
  cairn::testing::TempDir dir;
  Status s = OpenError("fs://" + dir.Sub("x") + "?fsync=off");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no query parameters"));
}

TEST(ObjectStoreUrlTest, UnknownSchemeListsTheKnownOnes) {
  Status s = OpenError("ftp://host/dir");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unknown scheme 'ftp'"));
  EXPECT_THAT(s.message(), HasSubstr("fs://"));
  EXPECT_THAT(s.message(), HasSubstr("mem://"));
}

TEST(ObjectStoreUrlTest, UnknownSchemeErrorHidesThePassword) {
  Status s = OpenError("ftp://alice:hunter2@host/dir");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(ObjectStoreUrlTest, NotAUrl) {
  Status s = OpenError("/var/lib/cairn");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("/var/lib/cairn"));
}

TEST(ObjectStoreUrlTest, MemUrlNeedsAName) {
  Status s = OpenError("mem://");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("mem URLs need a name"));
}

TEST(FsRootTest, RootThatIsAFileIsRejected) {
  cairn::testing::TempDir dir;
  std::string file = dir.Sub("not-a-dir");
  std::ofstream(file) << "x";
  Status s = OpenError("fs://" + file);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(file));
  EXPECT_THAT(s.message(), HasSubstr("not a directory"));
}

// Tests run as root, so permissions cannot make a directory unwritable; a path below a
// regular file and a path in /proc fail for root too.
TEST(FsRootTest, RootThatCannotBeCreatedIsAnIOErrorNamingIt) {
  cairn::testing::TempDir dir;
  std::string file = dir.Sub("file");
  std::ofstream(file) << "x";
  Status below_file = OpenError("fs://" + file + "/data");
  EXPECT_EQ(below_file.code(), ErrorCode::kIOError);
  EXPECT_THAT(below_file.message(), HasSubstr(file + "/data"));
  EXPECT_THAT(below_file.message(), HasSubstr("Not a directory"));

  Status in_proc = OpenError("fs:///proc/cairn-object-store-test/data");
  EXPECT_EQ(in_proc.code(), ErrorCode::kIOError);
  EXPECT_THAT(in_proc.message(), HasSubstr("/proc/cairn-object-store-test/data"));
}

TEST(FsRootTest, MissingRootIsCreated) {
  cairn::testing::TempDir dir;
  auto store = OpenObjectStore("fs://" + dir.Sub("a/b/c") + "/");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(dir.Sub("a/b/c")));
  EXPECT_EQ((*store)->DescribeForLog(), "fs://" + dir.Sub("a/b/c"));
}

TEST(FsRootTest, UnwritableRootFailsPutsWithAnIOErrorNamingThePath) {
  // /proc/self exists and is a directory, but nobody can create files in it.
  auto store = OpenObjectStore("fs:///proc/self");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status put = (*store)->Put("data/1.sst", "x");
  EXPECT_EQ(put.code(), ErrorCode::kIOError);
  EXPECT_THAT(put.message(), HasSubstr("/proc/self/data"));
  auto writer = (*store)->NewWriter("obj");
  EXPECT_EQ(writer.status().code(), ErrorCode::kIOError);
  EXPECT_THAT(writer.status().message(), HasSubstr("/proc/self/"));
}

TEST(ObjectKeyTest, InvalidKeysNameTheKeyAndTheRule) {
  struct Case {
    std::string key;
    std::string quoted;
    std::string rule;
  };
  const std::vector<Case> cases = {
      {"", "''", "empty"},
      {std::string(1025, 'k'), "'" + std::string(64, 'k') + "...'", "1025 bytes"},
      {"data/../etc", "'data/../etc'", "'..'"},
      {"..", "'..'", "'..'"},
      {"/data/1.sst", "'/data/1.sst'", "start with '/'"},
      {"data//1.sst", "'data//1.sst'", "empty path segment"},
      {"data/", "'data/'", "end with '/'"},
      {"./data", "'./data'", "'.' path segment"},
      {std::string("a\0b", 3), "'a\\x00b'", "non-printable byte at offset 1"},
      {"tab\there", "'tab\\x09here'", "non-printable"},
  };
  for (const Case& c : cases) {
    Status s = ValidateObjectKey(c.key);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << c.quoted;
    EXPECT_THAT(s.message(), HasSubstr(c.quoted));
    EXPECT_THAT(s.message(), HasSubstr(c.rule));
  }
  for (const char* good : {"a", "data/000000001234.sst", "manifest.json", "a.b/c-d/e_f g",
                           "changelog/1-2.log", "x/.hidden"}) {
    EXPECT_TRUE(ValidateObjectKey(good).ok()) << good;
  }
}

TEST(ObjectKeyTest, FsStoreReservesTempFileNames) {
  cairn::testing::TempDir dir;
  auto store = OpenObjectStore("fs://" + dir.path().string());
  ASSERT_TRUE(store.ok());
  Status s = (*store)->Put("data/.tmp-1-2", "x");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'data/.tmp-1-2'"));
  EXPECT_THAT(s.message(), HasSubstr("reserved"));
  EXPECT_EQ((*store)->Get(".tmp-x/y").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn
