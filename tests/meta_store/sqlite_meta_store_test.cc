// SQLite-specific behaviour: bad files and paths, schema versions, WAL mode, and two
// store instances (as two processes would) writing one file.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "common/random.h"
#include "meta_store/meta_store.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

std::vector<std::string> DirEntries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Runs `sql` on `path` with a plain sqlite3 connection; returns the first column of the
// last row (or "").
std::string RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string result;
  char* error = nullptr;
  int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0] ? values[0] : "";
        return 0;
      },
      &result, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  return result;
}

std::unique_ptr<MetaStore> MustOpen(const std::string& path) {
  auto store = OpenMetaStore("sqlite://" + path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

void ExpectOpenFails(const std::string& path, std::initializer_list<ErrorCode> codes,
                     const std::string& must_mention) {
  auto store = OpenMetaStore("sqlite://" + path);
  ASSERT_FALSE(store.ok()) << path;
  EXPECT_NE(std::find(codes.begin(), codes.end(), store.status().code()), codes.end())
      << store.status().ToString();
  EXPECT_NE(store.status().message().find(must_mention), std::string::npos)
      << store.status().ToString();
}

TEST(SqliteMetaStoreTest, TextFileIsRefusedAndLeftUnchanged) {
  TempDir dir;
  Random random(17);
  for (size_t size : {20, 4096, 100'000}) {
    std::string path = dir.Sub("text" + std::to_string(size) + ".db");
    std::string text = random.Bytes(size);
    WriteFile(path, text);
    auto entries = DirEntries(dir.path());
    ExpectOpenFails(path, {ErrorCode::kCorruption, ErrorCode::kInvalidArgument}, path);
    EXPECT_EQ(ReadFile(path), text) << "opening must not modify a non-database file";
    EXPECT_EQ(DirEntries(dir.path()), entries) << "no -wal/-shm files may appear";
  }
}

TEST(SqliteMetaStoreTest, CorruptedPagesAreAnErrorNamingThePath) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    Txn txn;
    for (int i = 0; i < 20'000; ++i) {
      txn.ops.push_back(Op::Put("key/" + std::to_string(i), std::string(100, 'v')));
    }
    ASSERT_TRUE(store->Commit(txn).ok());
  }
  std::string bytes = ReadFile(path);
  ASSERT_GT(bytes.size(), 1u << 20);
  Random random(3);
  for (size_t i = bytes.size() * 3 / 10; i < bytes.size() * 7 / 10; ++i) {
    bytes[i] = static_cast<char>(random.Next());
  }
  WriteFile(path, bytes);

  auto store = OpenMetaStore("sqlite://" + path);
  Status status = store.status();
  if (store.ok()) {
    auto range = (*store)->Range("", "", 100'000);
    ASSERT_FALSE(range.ok()) << "a scan over corrupted pages must fail";
    status = range.status();
  }
  EXPECT_EQ(status.code(), ErrorCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find(path), std::string::npos) << status.ToString();
}

TEST(SqliteMetaStoreTest, MissingDirectoryIsNamed) {
  TempDir dir;
  std::string missing = dir.Sub("no/such/dir");
  ExpectOpenFails(missing + "/meta.db", {ErrorCode::kInvalidArgument}, missing);
  EXPECT_FALSE(fs::exists(dir.Sub("no"))) << "no directory is created";
}

TEST(SqliteMetaStoreTest, ParentThatIsAFileIsNamed) {
  TempDir dir;
  WriteFile(dir.Sub("file"), "x");
  ExpectOpenFails(dir.Sub("file") + "/meta.db", {ErrorCode::kInvalidArgument},
                  "is not a directory");
  EXPECT_EQ(ReadFile(dir.Sub("file")), "x");
}

TEST(SqliteMetaStoreTest, DirectoryAsDatabaseIsRefused) {
  TempDir dir;
  fs::create_directory(dir.Sub("sub"));
  ExpectOpenFails(dir.Sub("sub"), {ErrorCode::kInvalidArgument}, "is a directory");
}

TEST(SqliteMetaStoreTest, FutureSchemaVersionIsRefused) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  ASSERT_NE(MustOpen(path), nullptr);
  RawSql(path, "UPDATE cairn_schema SET version = 99");
  ExpectOpenFails(path, {ErrorCode::kNotSupported}, "schema version 99");
}

TEST(SqliteMetaStoreTest, ForeignDatabaseIsRefusedAndLeftUnchanged) {
  TempDir dir;
  std::string path = dir.Sub("other.db");
  RawSql(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  std::string before = ReadFile(path);
  ExpectOpenFails(path, {ErrorCode::kInvalidArgument}, "not a cairn meta store");
  EXPECT_EQ(ReadFile(path), before) << "not even the journal mode may change";
}

TEST(SqliteMetaStoreTest, EmptyFileBecomesANewStore) {
  TempDir dir;
  std::string path = dir.Sub("empty.db");
  WriteFile(path, "");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  Txn txn;
  txn.ops.push_back(Op::Put("k", "v"));
  EXPECT_EQ(*store->Commit(txn), 1);
}

TEST(SqliteMetaStoreTest, UsesWalModeAndPersistsAcrossOpen) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    Txn txn;
    txn.ops.push_back(Op::Put("k", "v"));
    ASSERT_TRUE(store->Commit(txn).ok());
  }
  EXPECT_EQ(RawSql(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawSql(path, "SELECT revision FROM cairn_revision"), "1");
  EXPECT_EQ(RawSql(path, "SELECT count(*) FROM kv"), "1");
}

// Two store instances on one file behave like two processes: separate connections,
// serialized only by SQLite's write lock (busy waits and retries).
TEST(SqliteMetaStoreTest, TwoInstancesOnOneFileIncrementConsistently) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  auto a = MustOpen(path);
  auto b = MustOpen(path);
  ASSERT_TRUE(a && b);
  static constexpr int kPerStore = 20;
  auto increment = [](MetaStore* store) {
    int done = 0;
    for (int attempt = 0; attempt < 10'000 && done < kPerStore; ++attempt) {
      auto kv = store->Get("counter");
      ASSERT_TRUE(kv.ok()) << kv.status().ToString();
      int value = kv->has_value() ? std::stoi((*kv)->value) : 0;
      Txn txn;
      txn.compares.push_back(Compare::RevisionEquals("counter", *kv ? (*kv)->mod_revision : 0));
      txn.ops.push_back(Op::Put("counter", std::to_string(value + 1)));
      auto r = store->Commit(txn);
      if (r.ok()) {
        ++done;
      } else {
        ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
      }
    }
    EXPECT_EQ(done, kPerStore);
  };
  std::thread ta(increment, a.get()), tb(increment, b.get());
  ta.join();
  tb.join();
  auto kv = a->Get("counter");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, std::to_string(2 * kPerStore));
  EXPECT_EQ((*kv)->mod_revision, 2 * kPerStore);
}

TEST(SqliteMetaStoreTest, SnapshotOnOneInstanceIgnoresCommitsOfAnother) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  auto a = MustOpen(path);
  auto b = MustOpen(path);
  ASSERT_TRUE(a && b);
  Txn first;
  first.ops.push_back(Op::Put("k", "1"));
  ASSERT_TRUE(a->Commit(first).ok());
  auto snapshot = a->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  Txn second;
  second.ops.push_back(Op::Put("k", "2"));
  ASSERT_TRUE(b->Commit(second).ok());
  EXPECT_EQ((*(*snapshot)->Get("k"))->value, "1");
  EXPECT_EQ((*a->Get("k"))->value, "2");
}

TEST(SqliteMetaStoreTest, SnapshotStaysReadableAfterTheStoreCloses) {
  TempDir dir;
  std::string path = dir.Sub("meta.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  Txn txn;
  txn.ops.push_back(Op::Put("k", "v"));
  ASSERT_TRUE(store->Commit(txn).ok());
  auto snapshot = store->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  store.reset();
  auto kv = (*snapshot)->Get("k");
  ASSERT_TRUE(kv.ok()) << kv.status().ToString();
  EXPECT_EQ((*kv)->value, "v");
}

TEST(SqliteMetaStoreTest, RangeLimitZeroIsInvalid) {
  TempDir dir;
  auto store = MustOpen(dir.Sub("meta.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Range("", "", 0).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn
