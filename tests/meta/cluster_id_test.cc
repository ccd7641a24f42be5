#include "meta/cluster_id.h"

#include <gtest/gtest.h>

#include "meta/keys.h"
#include "meta/meta_test_util.h"

namespace cairn {
namespace {

class ClusterIdTest : public testing::MetaFixture {};

TEST_F(ClusterIdTest, WrittenOnceAtFirstStart) {
  Random random(7);
  auto first = EnsureClusterId(writer_.get(), &random);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 32u);
  EXPECT_EQ(Dump()[std::string(keys::kClusterId)], *first);
  uint64_t seq = writer_->last_seq();
  Random other(8);
  auto second = EnsureClusterId(writer_.get(), &other);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(writer_->last_seq(), seq);  // nothing written the second time
}

TEST_F(ClusterIdTest, DependsOnTheInjectedRandom) {
  Random a(1);
  auto id = EnsureClusterId(writer_.get(), &a);
  ASSERT_TRUE(id.ok());
  Random b(1);
  EXPECT_EQ(*id, keys::Hex16(b.Next()) + keys::Hex16(b.Next()));
}

}  // namespace
}  // namespace cairn
