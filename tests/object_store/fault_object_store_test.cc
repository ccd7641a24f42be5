// The fault-injecting wrapper: reproducible failures, lost acks that really applied,
// crash points, latency on the injected clock.
#include "object_store/fault_object_store.h"

#include <gmock/gmock.h>

#include "common/clock.h"
#include "object_store/mem_object_store.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

using ::testing::HasSubstr;

class FaultObjectStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ObjectStore> NewBase() {
    std::string name = "fault-test-" + std::to_string(names_.size()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name();
    names_.push_back(name);
    auto store = OpenObjectStore("mem://" + name);
    EXPECT_TRUE(store.ok());
    return std::move(store).value();
  }
  void TearDown() override {
    for (const auto& name : names_) DropMemObjectStore(name);
  }

  std::vector<std::string> names_;
};

// A fixed mix of every op kind; returns which ops failed (true = failed).
std::vector<bool> RunWorkload(ObjectStore& store) {
  std::vector<bool> failed;
  for (int i = 0; i < 60; ++i) {
    std::string key = "k" + std::to_string(i % 7);
    failed.push_back(!store.Put(key, "v" + std::to_string(i)).ok());
    failed.push_back(!store.Get(key).ok());
    failed.push_back(!store.Head(key).ok());
    failed.push_back(!store.List("k", "", 3).ok());
    if (i % 5 == 0) failed.push_back(!store.Delete(key).ok());
  }
  return failed;
}

TEST_F(FaultObjectStoreTest, SameSeedGivesTheSameFailures) {
  auto base1 = NewBase(), base2 = NewBase(), base3 = NewBase();
  FaultInjectingObjectStore a(base1.get(), 7), b(base2.get(), 7), c(base3.get(), 8);
  for (auto* f : {&a, &b, &c}) f->SetFailureRate(0.2, 0.1);
  std::vector<bool> run_a = RunWorkload(a), run_b = RunWorkload(b), run_c = RunWorkload(c);
  EXPECT_EQ(run_a, run_b);
  EXPECT_EQ(a.events(), b.events());
  EXPECT_NE(a.events(), c.events()) << "a different seed should fail different ops";
  EXPECT_GT(a.injected_failures(), 10u);
  EXPECT_LT(a.injected_failures(), a.op_count());
  bool saw_before = false, saw_after = false;
  for (const auto& e : a.events()) {
    (e.point == FaultPoint::kBeforeApply ? saw_before : saw_after) = true;
  }
  EXPECT_TRUE(saw_before);
  EXPECT_TRUE(saw_after);
}

TEST_F(FaultObjectStoreTest, FailBeforeApplyChangesNothing) {
  auto base = NewBase();
  FaultInjectingObjectStore store(base.get(), 1);
  ASSERT_TRUE(store.Put("kept", "old").ok());
  store.FailNext(2);
  Status put = store.Put("kept", "new");
  EXPECT_EQ(put.code(), ErrorCode::kIOError);
  EXPECT_THAT(put.message(), HasSubstr("'kept'"));
  EXPECT_THAT(put.message(), HasSubstr("before apply"));
  EXPECT_EQ(store.Delete("kept").code(), ErrorCode::kIOError);
  EXPECT_EQ(*base->Get("kept"), "old");
  EXPECT_TRUE(store.Put("kept", "newer").ok()) << "only the next 2 ops fail";
  EXPECT_EQ(*base->Get("kept"), "newer");
  EXPECT_EQ(store.injected_failures(), 2u);
}

TEST_F(FaultObjectStoreTest, FailAfterApplyAppliesAndLosesTheAck) {
  auto base = NewBase();
  FaultInjectingObjectStore store(base.get(), 1);
  store.FailNext(1, FaultPoint::kAfterApply);
  Status put = store.Put("obj", "applied");
  EXPECT_EQ(put.code(), ErrorCode::kIOError);
  EXPECT_THAT(put.message(), HasSubstr("after it was applied"));
  EXPECT_EQ(*base->Get("obj"), "applied");

  store.FailNext(1, FaultPoint::kAfterApply);
  EXPECT_EQ(store.Delete("obj").code(), ErrorCode::kIOError);
  EXPECT_EQ(base->Head("obj").status().code(), ErrorCode::kNotFound);

  auto writer = store.NewWriter("streamed");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("bytes").ok());
  store.FailNext(1, FaultPoint::kAfterApply);
  EXPECT_EQ((*writer)->Finish().code(), ErrorCode::kIOError);
  EXPECT_EQ(*base->Get("streamed"), "bytes");
}

TEST_F(FaultObjectStoreTest, CrashPointKillsEveryLaterOp) {
  auto base = NewBase();
  FaultInjectingObjectStore store(base.get(), 1);
  auto writer = store.NewWriter("w");  // op 1
  ASSERT_TRUE(writer.ok());
  store.CrashAtOp(4);
  EXPECT_TRUE(store.Put("a", "1").ok());  // op 2
  EXPECT_TRUE(store.Put("b", "2").ok());  // op 3
  EXPECT_FALSE(store.crashed());
  EXPECT_EQ(store.Put("c", "3").code(), ErrorCode::kIOError);  // op 4: the crash
  EXPECT_TRUE(store.crashed());
  Status dead = store.Put("d", "4");
  EXPECT_EQ(dead.code(), ErrorCode::kIOError);
  EXPECT_THAT(dead.message(), HasSubstr("died at op #4"));
  EXPECT_FALSE(store.Get("a").ok());
  EXPECT_FALSE(store.Head("a").ok());
  EXPECT_FALSE(store.Delete("a").ok());
  EXPECT_FALSE(store.List("", "", 10).ok());
  EXPECT_FALSE(store.NewWriter("x").ok());
  EXPECT_FALSE((*writer)->Append("late").ok());
  EXPECT_FALSE((*writer)->Finish().ok());
  EXPECT_EQ(store.op_count(), 12u);

  // The base store holds exactly what was applied before the crash.
  auto page = base->List("", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a");
  EXPECT_EQ(page->objects[1].key, "b");

  store.Reset();
  EXPECT_TRUE(store.Put("c", "3").ok());
}

TEST_F(FaultObjectStoreTest, FailAtOpFailsExactlyThoseOps) {
  auto base = NewBase();
  FaultInjectingObjectStore store(base.get(), 1);
  store.FailAtOp(2);
  store.FailAtOp(4, FaultPoint::kAfterApply);
  EXPECT_TRUE(store.Put("a", "1").ok());                       // op 1
  EXPECT_EQ(store.Put("b", "2").code(), ErrorCode::kIOError);  // op 2: not applied
  EXPECT_TRUE(store.Get("a").ok());                            // op 3
  EXPECT_EQ(store.Put("c", "3").code(), ErrorCode::kIOError);  // op 4: applied
  EXPECT_TRUE(store.Put("d", "4").ok());                       // op 5
  EXPECT_FALSE(store.crashed());
  EXPECT_EQ(base->Head("b").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*base->Get("c"), "3");
  EXPECT_EQ(store.events(),
            (std::vector<FaultEvent>{{2, ObjectOp::kPut, FaultPoint::kBeforeApply},
                                     {4, ObjectOp::kPut, FaultPoint::kAfterApply}}));
}

TEST_F(FaultObjectStoreTest, CrashAfterApplyKeepsTheCrashingOp) {
  auto base = NewBase();
  FaultInjectingObjectStore store(base.get(), 1);
  store.CrashAtOp(1, FaultPoint::kAfterApply);
  EXPECT_EQ(store.Put("a", "1").code(), ErrorCode::kIOError);
  EXPECT_TRUE(store.crashed());
  EXPECT_EQ(*base->Get("a"), "1");
  store.Crash();  // already dead: stays dead
  EXPECT_FALSE(store.Put("b", "2").ok());
  EXPECT_EQ(base->Head("b").status().code(), ErrorCode::kNotFound);
}

TEST_F(FaultObjectStoreTest, FaultyOpsRestrictWhichOpsFail) {
  FaultInjectingObjectStore store(NewBase(), 3);
  store.SetFaultyOps({ObjectOp::kPut});
  store.SetFailureRate(1.0);
  EXPECT_FALSE(store.Put("a", "1").ok());
  EXPECT_EQ(store.Get("a").status().code(), ErrorCode::kNotFound) << "gets pass through";
  EXPECT_TRUE(store.Delete("a").ok());
  EXPECT_EQ(store.op_count(ObjectOp::kPut), 1u);
  EXPECT_EQ(store.op_count(ObjectOp::kGet), 1u);
  EXPECT_EQ(store.op_count(ObjectOp::kDelete), 1u);
  EXPECT_EQ(store.injected_failures(), 1u);
  EXPECT_EQ(store.DescribeForLog(), "fault(" + store.base()->DescribeForLog() + ")");
}

TEST_F(FaultObjectStoreTest, CreateOnlyWritesTakeThePutAndWriterFaults) {
  auto base = NewBase();
  FaultInjectingObjectStore store(base.get(), 1);
  store.SetFaultyOps({ObjectOp::kPut});
  store.FailNext(1);
  Status before = store.PutIfAbsent("a", "1");
  EXPECT_EQ(before.code(), ErrorCode::kIOError);
  EXPECT_THAT(before.message(), HasSubstr("put 'a'"));
  EXPECT_EQ(base->Head("a").status().code(), ErrorCode::kNotFound);
  store.FailNext(1, FaultPoint::kAfterApply);
  EXPECT_EQ(store.PutIfAbsent("a", "1").code(), ErrorCode::kIOError);
  EXPECT_EQ(*base->Get("a"), "1") << "a lost ack: the object was created";
  EXPECT_EQ(store.PutIfAbsent("a", "2").code(), ErrorCode::kAlreadyExists)
      << "the base store's refusal passes through";
  EXPECT_EQ(store.op_count(ObjectOp::kPut), 3u);

  store.SetFaultyOps({ObjectOp::kFinish});
  auto writer = store.NewWriter("a", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("3").ok());
  EXPECT_EQ((*writer)->Finish().code(), ErrorCode::kAlreadyExists);
  auto fresh = store.NewWriter("b", WriteMode::kCreateOnly);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->Append("4").ok());
  store.FailNext(1, FaultPoint::kAfterApply);
  EXPECT_EQ((*fresh)->Finish().code(), ErrorCode::kIOError);
  EXPECT_EQ(*base->Get("a"), "1");
  EXPECT_EQ(*base->Get("b"), "4");
  EXPECT_EQ(store.op_count(ObjectOp::kNewWriter), 2u);
  EXPECT_EQ(store.op_count(ObjectOp::kFinish), 2u);
}

TEST_F(FaultObjectStoreTest, LatencyAdvancesTheInjectedClock) {
  ManualClock clock(1'000);
  FaultInjectingObjectStore store(NewBase(), 5, &clock);
  store.SetLatency(5, 5);
  ASSERT_TRUE(store.Put("a", "1").ok());
  ASSERT_TRUE(store.Get("a").ok());
  EXPECT_EQ(clock.NowMillis(), 1'010);
  store.SetLatency(1, 9, 0.5);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(store.Head("a").ok());
  int64_t slept = clock.NowMillis() - 1'010;
  EXPECT_GT(slept, 50);   // about 50 sleeps of 1..9 ms each
  EXPECT_LT(slept, 900);  // not every op, not more than the max
}

}  // namespace
}  // namespace cairn
