#include "object_store_conformance.h"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random.h"

namespace cairn::testing {
namespace {

// Deterministic bytes covering every byte value (NUL and 0xff included).
std::string RandomBytes(Random& random, size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = random.Next();
    std::memcpy(out.data() + i, &v, std::min<size_t>(8, size - i));
  }
  return out;
}

std::string UniqueTestId() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string id = info->name();
  std::replace_if(
      id.begin(), id.end(), [](char c) { return !std::isalnum(c) && c != '_'; }, '_');
  return id + "-" + std::to_string(getpid()) + "-" +
         std::to_string(SystemClock::Default()->NowMillis()) + "-" + std::to_string(counter++);
}

std::vector<std::string> Keys(const std::vector<ObjectMeta>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

// Follows next_token to the end, checking the page shape: every page but the last is
// full and carries a token; the last one has none.
std::vector<ObjectMeta> ListPaged(ObjectStore& store, std::string_view prefix, size_t limit) {
  std::vector<ObjectMeta> all;
  std::string token;
  for (int pages = 0;; ++pages) {
    auto page = store.List(prefix, token, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || pages > 100'000) return all;
    all.insert(all.end(), page->objects.begin(), page->objects.end());
    if (page->next_token.empty()) {
      EXPECT_LE(page->objects.size(), limit);
      return all;
    }
    EXPECT_EQ(page->objects.size(), limit) << "a non-final page must be full";
    token = page->next_token;
  }
}

void ExpectContent(ObjectStore& store, std::string_view key, std::string_view want) {
  auto got = store.Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), want.size());
  EXPECT_TRUE(*got == want) << "content of " << key << " differs";
}

// AlreadyExists naming the key and the store.
void ExpectAlreadyExists(const Status& status, ObjectStore& store, std::string_view key) {
  EXPECT_EQ(status.code(), ErrorCode::kAlreadyExists) << status.ToString();
  EXPECT_NE(status.message().find(QuoteObjectKey(key)), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find(store.DescribeForLog()), std::string::npos) << status.ToString();
}

// Streams `data` through a writer of `mode` in 100 kB appends; returns Finish's status
// (or the first failed Append's).
Status WriteStreamed(ObjectStore& store, std::string_view key, std::string_view data,
                     WriteMode mode) {
  auto writer = store.NewWriter(key, mode);
  if (!writer.ok()) return writer.status();
  for (size_t off = 0; off < data.size(); off += 100'000) {
    CAIRN_RETURN_IF_ERROR((*writer)->Append(data.substr(off, 100'000)));
  }
  return (*writer)->Finish();
}

}  // namespace

void ObjectStoreConformanceTest::SetUp() {
  opener_ = GetParam().prepare(UniqueTestId());
  auto opened = opener_();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
}

void ObjectStoreConformanceTest::TearDown() {
  store_.reset();
  opener_ = nullptr;
}

void ObjectStoreConformanceTest::Reopen() {
  store_.reset();
  auto opened = opener_();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
}

uint64_t ObjectStoreConformanceTest::ListedSize(uint64_t n) const {
  return GetParam().listed_size ? GetParam().listed_size(n) : n;
}

std::string BackendName(const ::testing::TestParamInfo<ObjectStoreBackend>& info) {
  return info.param.name;
}

void PrintTo(const ObjectStoreBackend& backend, std::ostream* os) { *os << backend.name; }

TEST_P(ObjectStoreConformanceTest, PutThenGetReturnsTheSameBytes) {
  Random random(1);
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  const std::vector<std::pair<std::string, std::string>> objects = {
      {"a", "hello"},
      {"empty", ""},
      {"dir/binary", all_bytes},
      {"dir/big", RandomBytes(random, (1 << 20) + 3)},
  };
  for (const auto& [key, value] : objects) ASSERT_TRUE(store().Put(key, value).ok()) << key;
  for (const auto& [key, value] : objects) {
    ExpectContent(store(), key, value);
    auto head = store().Head(key);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->key, key);
    EXPECT_EQ(head->size, value.size());
  }
}

TEST_P(ObjectStoreConformanceTest, OverwriteReplacesContentAndSize) {
  Random random(2);
  for (size_t size : {1000, 10, 5000, 0, 77}) {
    std::string value = RandomBytes(random, size);
    ASSERT_TRUE(store().Put("over/write", value).ok());
    ExpectContent(store(), "over/write", value);
    auto head = store().Head("over/write");
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->size, size);
  }
  auto page = store().List("over/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), std::vector<std::string>{"over/write"});
}

TEST_P(ObjectStoreConformanceTest, MissingObjectIsNotFoundAndDeleteIsIdempotent) {
  auto get = store().Get("no/such-object");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(get.status().message().find("no/such-object"), std::string::npos)
      << get.status().ToString();
  auto range = store().GetRange("no/such-object", 0, 10);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), ErrorCode::kNotFound);
  // NotFound from OpenReader, or (stores that open lazily) from its first Read.
  auto reader = store().OpenReader("no/such-object");
  Status read = reader.ok() ? (*reader)->Read(0, 10).status() : reader.status();
  EXPECT_EQ(read.code(), ErrorCode::kNotFound) << read.ToString();
  auto head = store().Head("no/such-object");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(head.status().message().find("no/such-object"), std::string::npos);
  EXPECT_TRUE(store().Delete("no/such-object").ok());

  ASSERT_TRUE(store().Put("gone", "x").ok());
  ASSERT_TRUE(store().Put("kept", "y").ok());
  EXPECT_TRUE(store().Delete("gone").ok());
  EXPECT_TRUE(store().Delete("gone").ok());
  EXPECT_EQ(store().Get("gone").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().Head("gone").status().code(), ErrorCode::kNotFound);
  ExpectContent(store(), "kept", "y");
  auto page = store().List("", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), std::vector<std::string>{"kept"});
}

TEST_P(ObjectStoreConformanceTest, RangeReadsAreClippedToTheObject) {
  Random random(3);
  std::string value = RandomBytes(random, 1000);
  ASSERT_TRUE(store().Put("range", value).ok());
  struct Case {
    uint64_t offset, length;
    std::string want;
  };
  const Case cases[] = {
      {0, 10, value.substr(0, 10)},
      {990, 10, value.substr(990)},
      {995, 10, value.substr(995)},
      {1000, 10, ""},
      {5000, 1, ""},
      {0, UINT64_MAX, value},
      {500, 0, ""},
      {123, 456, value.substr(123, 456)},
      {999, UINT64_MAX, value.substr(999)},
  };
  auto reader = store().OpenReader("range");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (const Case& c : cases) {
    auto got = store().GetRange("range", c.offset, c.length);
    ASSERT_TRUE(got.ok()) << c.offset << "+" << c.length << ": " << got.status().ToString();
    EXPECT_TRUE(*got == c.want) << "range " << c.offset << "+" << c.length << " returned "
                                << got->size() << " bytes";
    // An ObjectReader reads the same ranges.
    auto read = (*reader)->Read(c.offset, c.length);
    ASSERT_TRUE(read.ok()) << c.offset << "+" << c.length << ": " << read.status().ToString();
    EXPECT_TRUE(*read == c.want) << "reader range " << c.offset << "+" << c.length;
  }
  ASSERT_TRUE(store().Put("empty", "").ok());
  auto empty = store().GetRange("empty", 0, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_P(ObjectStoreConformanceTest, HeadReportsSizeAndCurrentMtime) {
  int64_t before = SystemClock::Default()->NowMillis();
  ASSERT_TRUE(store().Put("meta/obj", std::string(4321, 'm')).ok());
  auto head = store().Head("meta/obj");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 4321u);
  // Unix milliseconds near now (servers may round to seconds; clocks may be skewed).
  constexpr int64_t kSlackMs = 10 * 60 * 1000;
  EXPECT_GT(head->mtime_ms, before - kSlackMs);
  EXPECT_LT(head->mtime_ms, SystemClock::Default()->NowMillis() + kSlackMs);
  auto page = store().List("meta/", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].size, ListedSize(4321));
  EXPECT_GT(page->objects[0].mtime_ms, before - kSlackMs);
}

// Readers racing with overwrites (by Put and by streaming writer) see one complete
// version or the other, never a mix or a truncated object.
TEST_P(ObjectStoreConformanceTest, ConcurrentReadersSeeOldOrNewBytesOnly) {
  const std::string a(1 << 20, 'a');
  const std::string b((2 << 20) + 5, 'b');
  ASSERT_TRUE(store().Put("race", a).ok());
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, bad{0};
  auto reader = [&] {
    while (!done.load() || reads.load() < 4) {
      ++reads;
      auto got = store().Get("race");
      bool whole_a = got.ok() && got->size() == a.size() && *got == a;
      bool whole_b = got.ok() && got->size() == b.size() && *got == b;
      if (!whole_a && !whole_b) ++bad;
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < 20; ++i) {
    const std::string& value = i % 2 ? a : b;
    if (i % 4 < 2) {
      EXPECT_TRUE(store().Put("race", value).ok());
      continue;
    }
    auto writer = store().NewWriter("race");
    ASSERT_TRUE(writer.ok());
    for (size_t off = 0; off < value.size(); off += 100'000) {
      ASSERT_TRUE((*writer)->Append(std::string_view(value).substr(off, 100'000)).ok());
    }
    EXPECT_TRUE((*writer)->Finish().ok());
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(bad.load(), 0) << "partial, mixed or missing object seen in " << reads.load()
                           << " reads";
}

TEST_P(ObjectStoreConformanceTest, ListsInKeyOrderAcrossNestedPrefixes) {
  // Bytes around '/' ('-' and '.' sort before it, '0' and 'A' after) catch a listing
  // that sorts directory names instead of keys.
  const std::vector<std::string> keys = {"l/a/b", "l/a-b",   "l/a.x",  "l/a0",   "l/a/c/d",
                                         "l/A",   "l/b",     "l/a/b-", "l/a/c0", "l/a/c-/e",
                                         "l/z",   "l/a/c/e", "m",      "k/x"};
  for (const auto& key : keys) ASSERT_TRUE(store().Put(key, key).ok()) << key;
  std::vector<std::string> want;
  for (const auto& key : keys) {
    if (key.starts_with("l/")) want.push_back(key);
  }
  std::sort(want.begin(), want.end());
  auto page = store().List("l/", "", 100);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(Keys(page->objects), want);
  EXPECT_TRUE(page->next_token.empty());
  for (const auto& o : page->objects) EXPECT_EQ(o.size, ListedSize(o.key.size())) << o.key;

  std::vector<std::string> visited;
  Status all = ListAll(
      store(), "l/",
      [&](const ObjectMeta& o) {
        visited.push_back(o.key);
        return Status::OK();
      },
      3);
  ASSERT_TRUE(all.ok()) << all.ToString();
  EXPECT_EQ(visited, want);

  std::vector<std::string> everything = keys;
  std::sort(everything.begin(), everything.end());
  EXPECT_EQ(Keys(ListPaged(store(), "", 4)), everything);
}

TEST_P(ObjectStoreConformanceTest, PagesThroughManyObjectsAndPrefixes) {
  const size_t count = GetParam().list_object_count;
  ASSERT_GE(count, 1000u);
  const std::vector<std::string> dirs = {"p",   "p/a",   "p/a/b", "p/a-1",  "p/a0",
                                         "p/B", "p/a.b", "p/z/y", "p/a/b/c"};
  std::vector<std::string> keys;
  for (size_t i = 0; i < count; ++i) {
    // Unpadded numbers: lexicographic order differs from numeric order.
    keys.push_back(dirs[i % dirs.size()] + "/k" + std::to_string(i * 7919 % count));
  }
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  auto put = [&] {
    for (size_t i = next++; i < keys.size(); i = next++) {
      if (!store().Put(keys[i], keys[i]).ok()) ++failures;
    }
  };
  std::vector<std::thread> threads;
  // Concurrent puts: also a thread-safety check, and fsync-bound stores batch them.
  for (int t = 0; t < 8; ++t) threads.emplace_back(put);
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(store().Put("outside", "x").ok());
  std::sort(keys.begin(), keys.end());

  for (size_t limit : {size_t{1000}, size_t{999}, size_t{4099}, count, 2 * count}) {
    SCOPED_TRACE("limit " + std::to_string(limit));
    auto listed = ListPaged(store(), "p/", limit);
    EXPECT_EQ(Keys(listed), keys);
    for (const auto& o : listed) ASSERT_EQ(o.size, ListedSize(o.key.size())) << o.key;
  }
  for (std::string prefix : {"p/a/", "p/a", "p/a/b/", "p/k1", "p/a/b/c/k", "p/nothing", "q"}) {
    SCOPED_TRACE("prefix " + prefix);
    std::vector<std::string> want;
    for (const auto& k : keys) {
      if (k.starts_with(prefix)) want.push_back(k);
    }
    EXPECT_EQ(Keys(ListPaged(store(), prefix, 333)), want);
  }
  auto whole = store().List("", "", 2 * count);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->objects.size(), count + 1);
  EXPECT_TRUE(whole->next_token.empty());
}

TEST_P(ObjectStoreConformanceTest, LargeObjectStreamsThroughWriter) {
  const uint64_t size = GetParam().large_object_size + 123;
  ASSERT_GE(size, uint64_t{64} << 20);
  const size_t chunk_sizes[] = {1 << 20, 7, (256 << 10) + 1, (3 << 20) - 5};
  Random random(4);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  auto writer = store().NewWriter("large/object");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  uint64_t written = 0;
  for (int i = 0; written < size; ++i) {
    size_t n = std::min<uint64_t>(chunk_sizes[i % 4], size - written);
    std::string chunk = RandomBytes(random, n);
    XXH3_64bits_update(state, chunk.data(), chunk.size());
    ASSERT_TRUE((*writer)->Append(chunk).ok());
    written += n;
  }
  const uint64_t want_hash = XXH3_64bits_digest(state);
  EXPECT_EQ((*writer)->bytes_written(), size);
  EXPECT_EQ(store().Head("large/object").status().code(), ErrorCode::kNotFound)
      << "an unfinished upload must not be visible";
  ASSERT_TRUE((*writer)->Finish().ok());
  writer->reset();

  auto head = store().Head("large/object");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, size);
  // Ranged reads in 8 MiB pieces, hashed as they come.
  XXH3_64bits_reset(state);
  for (uint64_t offset = 0; offset < size; offset += 8 << 20) {
    auto piece = store().GetRange("large/object", offset, 8 << 20);
    ASSERT_TRUE(piece.ok()) << piece.status().ToString();
    ASSERT_EQ(piece->size(), std::min<uint64_t>(8 << 20, size - offset));
    XXH3_64bits_update(state, piece->data(), piece->size());
  }
  EXPECT_EQ(XXH3_64bits_digest(state), want_hash);
  XXH3_freeState(state);
  {
    auto whole = store().Get("large/object");
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(XXH3_64bits(whole->data(), whole->size()), want_hash);
  }
  EXPECT_TRUE(store().Delete("large/object").ok());
}

TEST_P(ObjectStoreConformanceTest, AbortedOrDroppedWriterLeavesNothing) {
  Random random(5);
  std::string big = RandomBytes(random, 3 << 20);
  {
    auto writer = store().NewWriter("w/aborted");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(big).ok());
    (*writer)->Abort();
    EXPECT_FALSE((*writer)->Append("more").ok());
    EXPECT_FALSE((*writer)->Finish().ok());
  }
  {
    auto writer = store().NewWriter("w/dropped");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(big).ok());
  }
  ASSERT_TRUE(store().Put("w/existing", "old").ok());
  {
    auto writer = store().NewWriter("w/existing");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("new bytes").ok());
    (*writer)->Abort();
  }
  EXPECT_EQ(store().Head("w/aborted").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().Head("w/dropped").status().code(), ErrorCode::kNotFound);
  ExpectContent(store(), "w/existing", "old");
  auto page = store().List("", "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), std::vector<std::string>{"w/existing"});
}

TEST_P(ObjectStoreConformanceTest, WriterPublishesOnlyAtFinish) {
  auto writer = store().NewWriter("w/obj");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("part one, ").ok());
  ASSERT_TRUE((*writer)->Append("").ok());
  ASSERT_TRUE((*writer)->Append("part two").ok());
  auto page = store().List("w/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty()) << "listed before Finish: " << page->objects[0].key;
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ((*writer)->bytes_written(), 18u);
  EXPECT_FALSE((*writer)->Append("late").ok()) << "append after Finish must fail";
  ExpectContent(store(), "w/obj", "part one, part two");

  auto empty = store().NewWriter("w/empty");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE((*empty)->Finish().ok());
  auto head = store().Head("w/empty");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 0u);
}

TEST_P(ObjectStoreConformanceTest, PutIfAbsentCreatesANewKey) {
  Random random(6);
  std::string value = RandomBytes(random, (1 << 20) + 11);
  ASSERT_TRUE(store().PutIfAbsent("c/new", value).ok());
  ASSERT_TRUE(store().PutIfAbsent("c/empty", "").ok());
  ExpectContent(store(), "c/new", value);
  ExpectContent(store(), "c/empty", "");
  auto head = store().Head("c/new");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, value.size());
  auto page = store().List("c/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), (std::vector<std::string>{"c/empty", "c/new"}));
}

TEST_P(ObjectStoreConformanceTest, PutIfAbsentOnAnExistingKeyKeepsTheOldBytes) {
  ASSERT_TRUE(store().Put("c/put", "old bytes").ok());
  ExpectAlreadyExists(store().PutIfAbsent("c/put", "new bytes"), store(), "c/put");
  ExpectContent(store(), "c/put", "old bytes");
  // An object created by PutIfAbsent is just as protected, also against an empty value.
  ASSERT_TRUE(store().PutIfAbsent("c/created", "first").ok());
  ExpectAlreadyExists(store().PutIfAbsent("c/created", "second"), store(), "c/created");
  ExpectAlreadyExists(store().PutIfAbsent("c/created", ""), store(), "c/created");
  ExpectContent(store(), "c/created", "first");
  // Once deleted, the key can be created again.
  ASSERT_TRUE(store().Delete("c/created").ok());
  ASSERT_TRUE(store().PutIfAbsent("c/created", "again").ok());
  ExpectContent(store(), "c/created", "again");
  auto page = store().List("c/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), (std::vector<std::string>{"c/created", "c/put"}));
}

TEST_P(ObjectStoreConformanceTest, CreateOnlyWriterCreatesANewKey) {
  Random random(7);
  std::string value = RandomBytes(random, (3 << 20) + 5);
  ASSERT_TRUE(WriteStreamed(store(), "c/streamed", value, WriteMode::kCreateOnly).ok());
  ExpectContent(store(), "c/streamed", value);
  auto empty = store().NewWriter("c/empty", WriteMode::kCreateOnly);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_TRUE((*empty)->Finish().ok());
  ExpectContent(store(), "c/empty", "");
}

TEST_P(ObjectStoreConformanceTest, CreateOnlyWriterOnAnExistingKeyKeepsTheOldBytes) {
  ASSERT_TRUE(store().Put("c/sst", "old bytes").ok());
  auto writer = store().NewWriter("c/sst", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Append("new bytes").ok());
  ExpectAlreadyExists((*writer)->Finish(), store(), "c/sst");
  EXPECT_FALSE((*writer)->Append("more").ok()) << "a failed writer must stay failed";
  EXPECT_FALSE((*writer)->Finish().ok());
  writer->reset();
  ExpectContent(store(), "c/sst", "old bytes");
  // Streamed over several appends, and against an object that a writer created.
  Random random(8);
  std::string big = RandomBytes(random, (3 << 20) + 5);
  ExpectAlreadyExists(WriteStreamed(store(), "c/sst", big, WriteMode::kCreateOnly), store(),
                      "c/sst");
  ASSERT_TRUE(WriteStreamed(store(), "c/made", "made", WriteMode::kCreateOnly).ok());
  ExpectAlreadyExists(WriteStreamed(store(), "c/made", big, WriteMode::kCreateOnly), store(),
                      "c/made");
  ExpectContent(store(), "c/sst", "old bytes");
  ExpectContent(store(), "c/made", "made");
  auto page = store().List("", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), (std::vector<std::string>{"c/made", "c/sst"}))
      << "a refused create-only write must leave nothing behind";
}

// The check happens when the object is published, not when the writer is opened.
TEST_P(ObjectStoreConformanceTest, CreateOnlyWriterLosesToAnObjectCreatedWhileItWrote) {
  auto writer = store().NewWriter("c/late", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Append("writer bytes").ok());
  ASSERT_TRUE(store().PutIfAbsent("c/late", "winner bytes").ok());
  ExpectAlreadyExists((*writer)->Finish(), store(), "c/late");
  ExpectContent(store(), "c/late", "winner bytes");
}

TEST_P(ObjectStoreConformanceTest, OverwriteModeStillReplaces) {
  ASSERT_TRUE(store().PutIfAbsent("o/obj", "created").ok());
  ASSERT_TRUE(WriteStreamed(store(), "o/obj", "replaced by writer", WriteMode::kOverwrite).ok());
  ExpectContent(store(), "o/obj", "replaced by writer");
  auto writer = store().NewWriter("o/obj");  // the one-argument overload overwrites
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("by one-arg writer").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  ExpectContent(store(), "o/obj", "by one-arg writer");
  ASSERT_TRUE(store().Put("o/obj", "replaced by put").ok());
  ExpectContent(store(), "o/obj", "replaced by put");
}

TEST_P(ObjectStoreConformanceTest, ReopenSeesData) {
  ASSERT_TRUE(store().Put("r/one", "1").ok());
  ASSERT_TRUE(store().Put("r/two/deep", "22").ok());
  auto writer = store().NewWriter("r/streamed");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("333").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  writer->reset();
  ASSERT_TRUE(store().Delete("r/one").ok());

  Reopen();
  EXPECT_EQ(store().Get("r/one").status().code(), ErrorCode::kNotFound);
  ExpectContent(store(), "r/two/deep", "22");
  ExpectContent(store(), "r/streamed", "333");
  auto page = store().List("r/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), (std::vector<std::string>{"r/streamed", "r/two/deep"}));
}

TEST_P(ObjectStoreConformanceTest, KeysWithNestedSlashes) {
  const std::string deep = "n/1/2/3/4/5/6/7/8/leaf.bin";
  ASSERT_TRUE(store().Put(deep, "deep").ok());
  ASSERT_TRUE(store().Put("n/1/2/x", "x").ok());
  ASSERT_TRUE(store().Put("n/1/y", "y").ok());
  ExpectContent(store(), deep, "deep");
  auto page = store().List("n/1/2/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), (std::vector<std::string>{deep, "n/1/2/x"}));
  ASSERT_TRUE(store().Delete(deep).ok());
  page = store().List("n/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), (std::vector<std::string>{"n/1/2/x", "n/1/y"}));
  ASSERT_TRUE(store().Put(deep, "again").ok());
  ExpectContent(store(), deep, "again");
}

TEST_P(ObjectStoreConformanceTest, RejectsInvalidKeysWithoutSideEffects) {
  const std::vector<std::string> bad = {"",
                                        "/abs",
                                        "a/../b",
                                        "..",
                                        "a//b",
                                        "a/",
                                        std::string(kMaxObjectKeySize + 1, 'k'),
                                        std::string("nul\0byte", 8),
                                        "new\nline"};
  for (const auto& key : bad) {
    SCOPED_TRACE("key " + QuoteObjectKey(key));
    EXPECT_EQ(store().Put(key, "v").code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().NewWriter(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().PutIfAbsent(key, "v").code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().NewWriter(key, WriteMode::kCreateOnly).status().code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().Get(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().GetRange(key, 0, 1).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().Head(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store().Delete(key).code(), ErrorCode::kInvalidArgument);
  }
  // The longest valid key, in segments short enough for any filesystem.
  std::string longest;
  while (longest.size() + 201 <= kMaxObjectKeySize) longest += std::string(200, 'k') + "/";
  longest += std::string(kMaxObjectKeySize - longest.size(), 'z');
  ASSERT_EQ(longest.size(), kMaxObjectKeySize);
  ASSERT_TRUE(store().Put(longest, "max").ok());
  ExpectContent(store(), longest, "max");
  auto page = store().List("", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(page->objects), std::vector<std::string>{longest});
  EXPECT_EQ(store().List("", "", 0).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace cairn::testing
