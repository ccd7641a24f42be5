#include "meta/writer_lease.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "meta/meta_test_util.h"

namespace cairn {
namespace {

class WriterLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenObjectStore(testing::UniqueMemUrl("lease"), {&clock_});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  ManualClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(WriterLeaseTest, SecondHolderIsRefusedWhileTheLeaseIsLive) {
  WriterLease first(store_.get(), &clock_, "server-a", 15'000);
  ASSERT_TRUE(first.Acquire().ok());
  auto lease = ReadWriterLease(store_.get());
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->holder, "server-a");

  clock_.Advance(5'000);
  WriterLease second(store_.get(), &clock_, "server-b", 15'000);
  Status refused = second.Acquire();
  EXPECT_EQ(refused.code(), ErrorCode::kBusy);
  EXPECT_NE(refused.message().find("in use by another cairn server"), std::string::npos);
  EXPECT_NE(refused.message().find("lease held by server-a, expires in 10s"), std::string::npos)
      << refused.message();
  EXPECT_EQ(CheckLeaseFree(store_.get(), &clock_, "restore").code(), ErrorCode::kBusy);
}

TEST_F(WriterLeaseTest, ExpiredLeaseCanBeTaken) {
  WriterLease crashed(store_.get(), &clock_, "server-a", 15'000);
  ASSERT_TRUE(crashed.Acquire().ok());
  clock_.Advance(15'001);
  WriterLease next(store_.get(), &clock_, "server-b", 15'000);
  ASSERT_TRUE(next.Acquire().ok());
  EXPECT_EQ((*ReadWriterLease(store_.get()))->holder, "server-b");
}

TEST_F(WriterLeaseTest, ReleaseWritesAReleasedLeaseOnlyWhenOurs) {
  {
    WriterLease lease(store_.get(), &clock_, "server-a", 15'000);
    ASSERT_TRUE(lease.Acquire().ok());
    ASSERT_TRUE(lease.Release().ok());
    auto released = ReadWriterLease(store_.get());
    ASSERT_TRUE(released.ok() && released->has_value());  // kept: the generation stays
    EXPECT_EQ((*released)->holder, "");
    EXPECT_EQ((*released)->expires_ms, 0);
    EXPECT_EQ((*released)->generation, 1u);
    EXPECT_TRUE(CheckLeaseFree(store_.get(), &clock_, "restore").ok());
    EXPECT_EQ(lease.Check().code(), ErrorCode::kBusy);
  }
  WriterLease old(store_.get(), &clock_, "server-a", 15'000);
  ASSERT_TRUE(old.Acquire().ok());
  clock_.Advance(20'000);
  WriterLease taker(store_.get(), &clock_, "server-b", 15'000);
  ASSERT_TRUE(taker.Acquire().ok());
  ASSERT_TRUE(old.Release().ok());
  EXPECT_EQ((*ReadWriterLease(store_.get()))->holder, "server-b");
}

TEST_F(WriterLeaseTest, MalformedLeaseIsCorruption) {
  ASSERT_TRUE(store_->Put(kWriterLeaseKey, "not json").ok());
  EXPECT_TRUE(ReadWriterLease(store_.get()).status().IsCorruption());
  ASSERT_TRUE(
      store_->Put(kWriterLeaseKey, R"({"holder": "a", "expires_ms": 1, "generation": -1})").ok());
  EXPECT_TRUE(ReadWriterLease(store_.get()).status().IsCorruption());
}

TEST_F(WriterLeaseTest, GenerationIncrementsAcrossAcquireReleaseAcquire) {
  // An object of a server from before generations: generation 0.
  ASSERT_TRUE(store_->Put(kWriterLeaseKey, R"({"holder": "old", "expires_ms": 0})").ok());
  EXPECT_EQ((*ReadWriterLease(store_.get()))->generation, 0u);
  WriterLease a(store_.get(), &clock_, "server-a", 15'000);
  ASSERT_TRUE(a.Acquire().ok());
  EXPECT_EQ(a.generation(), 1u);
  EXPECT_EQ((*ReadWriterLease(store_.get()))->generation, 1u);
  ASSERT_TRUE(a.Release().ok());
  EXPECT_EQ((*ReadWriterLease(store_.get()))->generation, 1u);

  WriterLease b(store_.get(), &clock_, "server-b", 15'000);
  ASSERT_TRUE(b.Acquire().ok());  // a released lease is free at once
  EXPECT_EQ(b.generation(), 2u);
  auto lease = ReadWriterLease(store_.get());
  EXPECT_EQ((*lease)->holder, "server-b");
  EXPECT_EQ((*lease)->generation, 2u);
  ASSERT_TRUE(b.RenewOnce().ok());
  EXPECT_EQ((*ReadWriterLease(store_.get()))->generation, 2u);  // renewal keeps it
}

TEST_F(WriterLeaseTest, CheckFailsOnceTheLastConfirmationAgesOut) {
  WriterLease lease(store_.get(), &clock_, "server-a", 10'000);
  EXPECT_EQ(lease.Check().code(), ErrorCode::kBusy);  // not acquired yet
  ASSERT_TRUE(lease.Acquire().ok());
  EXPECT_TRUE(lease.Check().ok());
  clock_.Advance(8'999);  // valid until ttl - ttl/10 after the acquire started
  EXPECT_TRUE(lease.Check().ok());
  clock_.Advance(1);
  Status expired = lease.Check();
  EXPECT_EQ(expired.code(), ErrorCode::kBusy);
  EXPECT_NE(expired.message().find("writer lease lost (expired: not renewed since "),
            std::string::npos)
      << expired.message();
  EXPECT_NE(expired.message().find("this server stopped writing"), std::string::npos);
  // A late renewal that finds the lease still ours confirms it again.
  ASSERT_TRUE(lease.RenewOnce().ok());
  EXPECT_TRUE(lease.Check().ok());
  EXPECT_FALSE(lease.lost());
}

TEST_F(WriterLeaseTest, RenewerDetectsTakeoverAndCallsOnLost) {
  WriterLease paused(store_.get(), &clock_, "server-a", 300);
  ASSERT_TRUE(paused.Acquire().ok());
  clock_.Advance(301);  // e.g. SIGSTOP past the TTL
  WriterLease taker(store_.get(), &clock_, "server-b", 300);
  ASSERT_TRUE(taker.Acquire().ok());

  std::mutex mu;
  std::condition_variable cv;
  std::optional<Status> lost;
  paused.SetOnLost([&](const Status& s) {
    std::lock_guard lock(mu);
    lost = s;
    cv.notify_all();
  });
  paused.StartRenewing();  // renews every 100 ms of real time
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return lost.has_value(); }));
  }
  EXPECT_NE(lost->message().find("writer lease lost (taken over by server-b)"), std::string::npos)
      << lost->message();
  EXPECT_TRUE(paused.lost());
  EXPECT_EQ(paused.Check(), *lost);
  EXPECT_EQ(paused.Acquire(), *lost);  // lost for good: never re-acquired
  ASSERT_TRUE(paused.Release().ok());  // leaves the taker's lease alone
  auto lease = ReadWriterLease(store_.get());
  EXPECT_EQ((*lease)->holder, "server-b");
  EXPECT_EQ((*lease)->generation, 2u);
  EXPECT_TRUE(taker.Check().ok());
}

TEST_F(WriterLeaseTest, FenceMakesTheHolderLoseIt) {
  ASSERT_TRUE(FenceWriterLease(store_.get(), "first").ok());  // no lease yet: generation 1
  EXPECT_EQ((*ReadWriterLease(store_.get()))->generation, 1u);

  WriterLease holder(store_.get(), &clock_, "server-a", 15'000);
  ASSERT_TRUE(holder.Acquire().ok());
  EXPECT_EQ(holder.generation(), 2u);
  int calls = 0;
  holder.SetOnLost([&](const Status&) { ++calls; });
  ASSERT_TRUE(FenceWriterLease(store_.get(), "cairn restore").ok());
  auto fenced = ReadWriterLease(store_.get());
  EXPECT_EQ((*fenced)->holder, "");
  EXPECT_EQ((*fenced)->generation, 3u);
  EXPECT_EQ((*fenced)->fenced_by, "cairn restore");
  EXPECT_TRUE(CheckLeaseFree(store_.get(), &clock_, "").ok());

  Status lost = holder.RenewOnce();
  EXPECT_EQ(lost.code(), ErrorCode::kBusy);
  EXPECT_NE(lost.message().find("writer lease lost (fenced by cairn restore)"), std::string::npos)
      << lost.message();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(holder.Check(), lost);
  ASSERT_TRUE(holder.Release().ok());
  EXPECT_EQ((*ReadWriterLease(store_.get()))->fenced_by, "cairn restore");  // untouched

  WriterLease next(store_.get(), &clock_, "server-b", 15'000);
  ASSERT_TRUE(next.Acquire().ok());
  EXPECT_EQ(next.generation(), 4u);
}

TEST_F(WriterLeaseTest, DeletedLeaseObjectIsLost) {
  WriterLease holder(store_.get(), &clock_, "server-a", 15'000);
  ASSERT_TRUE(holder.Acquire().ok());
  ASSERT_TRUE(store_->Delete(kWriterLeaseKey).ok());
  EXPECT_NE(holder.RenewOnce().message().find("was deleted"), std::string::npos);
  EXPECT_TRUE(holder.lost());
  EXPECT_EQ(holder.Check().code(), ErrorCode::kBusy);
}

TEST_F(WriterLeaseTest, DeadHolderOnThisHostIsTakenOverAtOnce) {
  WriterLeaseOptions options;
  options.hostname = "testhost";
  options.pid_alive = [](int pid) { return pid != 4242; };
  auto refused_by = [&](const std::string& live_holder) {
    EXPECT_TRUE(store_->Delete(kWriterLeaseKey).ok());
    WriterLease live(store_.get(), &clock_, live_holder, 15'000);
    EXPECT_TRUE(live.Acquire().ok());
    WriterLease next(store_.get(), &clock_, "testhost:1:1", 15'000, options);
    Status s = next.Acquire();
    (void)live.Release();
    return s;
  };
  EXPECT_EQ(refused_by("testhost:4343:7").code(), ErrorCode::kBusy);   // alive
  EXPECT_EQ(refused_by("otherhost:4242:7").code(), ErrorCode::kBusy);  // not ours to probe
  EXPECT_EQ(refused_by("testhost:x:7").code(), ErrorCode::kBusy);      // not HOST:PID:N

  WriterLease crashed(store_.get(), &clock_, "testhost:4242:7", 15'000);  // then kill -9
  ASSERT_TRUE(crashed.Acquire().ok());
  WriterLease restarted(store_.get(), &clock_, "testhost:1:1", 15'000, options);
  ASSERT_TRUE(restarted.Acquire().ok());
  auto lease = ReadWriterLease(store_.get());
  EXPECT_EQ((*lease)->holder, "testhost:1:1");
  EXPECT_EQ((*lease)->generation, crashed.generation() + 1);
  EXPECT_EQ(crashed.RenewOnce().code(), ErrorCode::kBusy);  // were it alive after all
}

class MetaWriterFenceTest : public testing::MetaFixture {};

TEST_F(MetaWriterFenceTest, FailingFenceCommitsNothing) {
  Txn first;
  first.ops.push_back(Op::Put("k", "1"));
  ASSERT_TRUE(writer_->Commit(first).ok());
  auto before = Dump();
  auto seq_before = store_->Get(keys::kChangelogSeq);
  ASSERT_TRUE(seq_before.ok() && seq_before->has_value());

  writer_->SetFence([] { return Status::Busy("writer lease lost (fenced by test)"); });
  Txn txn;
  txn.ops.push_back(Op::Put("k", "2"));
  txn.ops.push_back(Op::Put("other", "x"));
  Status commit = writer_->Commit(txn).status();
  EXPECT_EQ(commit.code(), ErrorCode::kBusy);
  EXPECT_EQ(commit.message(), "writer lease lost (fenced by test)");
  EXPECT_EQ(writer_->AllocateIds("object", 16).status(), commit);
  EXPECT_EQ(writer_->CheckFence(), commit);
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ((*store_->Get(keys::kChangelogSeq))->value, (*seq_before)->value);

  writer_->SetFence(nullptr);
  EXPECT_TRUE(writer_->Commit(txn).ok());
}

TEST_F(MetaWriterFenceTest, LeaseFenceStopsCommitsWhenTheLeaseAgesOut) {
  auto objects = OpenObjectStore(testing::UniqueMemUrl("lease"), {&clock_});
  ASSERT_TRUE(objects.ok());
  WriterLease lease(objects->get(), &clock_, "server-a", 1'000);
  ASSERT_TRUE(lease.Acquire().ok());
  writer_->SetFence([&] { return lease.Check(); });
  FencedMetaStore fenced(store_.get(), [&] { return lease.Check(); });
  Txn txn;
  txn.ops.push_back(Op::Put("k", "1"));
  ASSERT_TRUE(writer_->Commit(txn).ok());
  ASSERT_TRUE(fenced.Get("k").ok());

  clock_.Advance(900);  // a paused server: no renewal for ttl - ttl/10
  auto before = Dump();
  EXPECT_NE(writer_->Commit(txn).status().message().find("writer lease lost (expired"),
            std::string::npos);
  EXPECT_EQ(writer_->AllocateIds("object").status().code(), ErrorCode::kBusy);
  EXPECT_EQ(fenced.Get("k").status().code(), ErrorCode::kBusy);
  EXPECT_EQ(fenced.Commit(txn).status().code(), ErrorCode::kBusy);
  EXPECT_EQ(Dump(), before);
}

}  // namespace
}  // namespace cairn
