// RestoreBatchWriter: every commit fits the target's BulkTxnLimits, by ops and by bytes;
// an op that would overflow the batch commits the batch first.
#include <gtest/gtest.h>

#include "backup/restore_target.h"
#include "meta_store/meta_store.h"
#include "testing/limited_meta_store.h"

namespace cairn {
namespace {

TEST(RestoreBatchTest, CommitsStayWithinTheTargetsLimitsByOpsAndBytes) {
  auto base = OpenMetaStore("mem://restore-batch-test");
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  testing::LimitedMetaStore target(base->get());  // etcd's defaults
  RestoreBatchWriter batch(&target);
  // 900 KiB values: two would be 1.8 MiB, over etcd's 1.5 MiB.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(batch.Put("big/" + std::to_string(i), std::string(900 << 10, 'b')).ok()) << i;
  }
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(batch.Put("small/" + std::to_string(i), "v").ok()) << i;
  }
  ASSERT_TRUE(batch.Delete("small/0").ok());
  ASSERT_TRUE(batch.Flush().ok());
  EXPECT_EQ(target.refused(), 0u);
  EXPECT_LE(target.max_ops(), target.BulkTxnLimits().max_ops);
  EXPECT_LE(target.max_bytes(), target.BulkTxnLimits().max_bytes);
  EXPECT_GE(batch.commits(), 4u + 500u / 120u);
  auto small = (*base)->Range("small/", PrefixEnd("small/"), 1000);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->size(), 499u);
  auto big = (*base)->Range("big/", PrefixEnd("big/"), 10);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->size(), 4u);
}

}  // namespace
}  // namespace cairn
