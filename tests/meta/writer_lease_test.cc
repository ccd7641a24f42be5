#include "meta/writer_lease.h"

#include <gtest/gtest.h>

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

TEST_F(WriterLeaseTest, ReleaseDeletesOnlyOurLease) {
  {
    WriterLease lease(store_.get(), &clock_, "server-a", 15'000);
    ASSERT_TRUE(lease.Acquire().ok());
    ASSERT_TRUE(lease.Release().ok());
    EXPECT_FALSE(ReadWriterLease(store_.get())->has_value());
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
}

}  // namespace
}  // namespace cairn
