// mem:// specifics: stores are shared by name within the process, mtimes come from
// the injected clock. Also ListAll, which any store serves.
#include "object_store/mem_object_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "object_store/object_store.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

std::unique_ptr<ObjectStore> OpenMem(const std::string& name, Clock* clock = nullptr) {
  auto store = OpenObjectStore("mem://" + name, {clock});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(MemObjectStoreTest, SameNameSharesObjectsAcrossOpens) {
  auto first = OpenMem("mem-test-shared");
  auto second = OpenMem("mem-test-shared");
  ASSERT_TRUE(first->Put("k", "v").ok());
  EXPECT_EQ(*second->Get("k"), "v");
  first.reset();
  second.reset();
  auto reopened = OpenMem("mem-test-shared");
  EXPECT_EQ(*reopened->Get("k"), "v");
  DropMemObjectStore("mem-test-shared");
  EXPECT_EQ(OpenMem("mem-test-shared")->Get("k").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*reopened->Get("k"), "v") << "an open store keeps its objects after a drop";
}

TEST(MemObjectStoreTest, DifferentNamesAreIsolated) {
  auto a = OpenMem("mem-test-iso-a");
  auto b = OpenMem("mem-test-iso-b");
  ASSERT_TRUE(a->Put("k", "a").ok());
  EXPECT_EQ(b->Get("k").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(a->DescribeForLog(), "mem://mem-test-iso-a");
  DropMemObjectStore("mem-test-iso-a");
  DropMemObjectStore("mem-test-iso-b");
}

TEST(MemObjectStoreTest, MtimeComesFromTheInjectedClock) {
  ManualClock clock(42'000);
  auto store = OpenMem("mem-test-clock", &clock);
  ASSERT_TRUE(store->Put("a", "1").ok());
  clock.Advance(7);
  auto writer = store->NewWriter("b");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(store->Head("a")->mtime_ms, 42'000);
  EXPECT_EQ(store->Head("b")->mtime_ms, 42'007);
  DropMemObjectStore("mem-test-clock");
}

TEST(MemObjectStoreTest, RacingCreateOnlyWritesHaveExactlyOneWinner) {
  auto store = OpenMem("mem-test-race");
  for (int round = 0; round < 20; ++round) {
    std::string key = "race/" + std::to_string(round);
    std::atomic<int> won{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        Status s = t % 2 ? store->PutIfAbsent(key, std::to_string(t)) : [&] {
          auto writer = store->NewWriter(key, WriteMode::kCreateOnly);
          if (!writer.ok()) return writer.status();
          CAIRN_RETURN_IF_ERROR((*writer)->Append(std::to_string(t)));
          return (*writer)->Finish();
        }();
        ++(s.ok() ? won : refused);
        EXPECT_TRUE(s.ok() || s.code() == ErrorCode::kAlreadyExists) << s.ToString();
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1) << key;
    EXPECT_EQ(refused.load(), 7) << key;
  }
  DropMemObjectStore("mem-test-race");
}

TEST(ListAllTest, VisitsEveryObjectInOrderAndStopsAtTheFirstError) {
  auto store = OpenMem("mem-test-listall");
  for (const char* key : {"p/c", "p/a", "q", "p/b", "p/d"}) ASSERT_TRUE(store->Put(key, "").ok());
  std::vector<std::string> seen;
  auto collect = [&](const ObjectMeta& o) {
    seen.push_back(o.key);
    return Status::OK();
  };
  ASSERT_TRUE(ListAll(*store, "p/", collect, 3).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/a", "p/b", "p/c", "p/d"}));

  seen.clear();
  Status s = ListAll(
      *store, "",
      [&](const ObjectMeta& o) {
        seen.push_back(o.key);
        return seen.size() == 2 ? Status::Aborted("stop at " + o.key) : Status::OK();
      },
      1);
  EXPECT_EQ(s.code(), ErrorCode::kAborted);
  EXPECT_EQ(s.message(), "stop at p/b");
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(ListAll(*store, "", collect, 0).code(), ErrorCode::kInvalidArgument);
  DropMemObjectStore("mem-test-listall");
}

}  // namespace
}  // namespace cairn
