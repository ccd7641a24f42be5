// Cluster::SetTunables: live param changes reach vacuum's gate and the as-of window,
// and a raised pitr_retention never exposes history that compaction already dropped.
#include <gtest/gtest.h>

#include "storage/storage_test_env.h"

namespace cairn {
namespace {

using testing::StorageEnv;

uint64_t Put(StorageEnv& env, uint32_t table, const std::string& value) {
  WriteBatch b;
  b.Put(table, "k", value);
  auto epoch = env.cluster->Write(b);
  EXPECT_TRUE(epoch.ok());
  return epoch.ok() ? *epoch : 0;
}

Result<std::optional<std::string>> GetAsOf(StorageEnv& env, uint32_t table, uint64_t epoch) {
  return env.cluster->Get(table, "k", {epoch});
}

TEST(TunablesTest, VacuumMinAgeAppliesToTheNextVacuum) {
  StorageEnv env;
  env.options.vacuum_min_age_ms = 3'600'000;
  ASSERT_TRUE(env.Open().ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 3; ++i) Put(env, t->id, "v" + std::to_string(i));
  ASSERT_TRUE(env.cluster->Compact().ok());
  env.clock.Advance(1);
  auto report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 0u);
  EXPECT_GT(report->kept_by_gate, 0u);
  env.cluster->SetTunables({1000, 0, 0});
  report = env.cluster->Vacuum({});
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->deleted, 0u);
  EXPECT_EQ(report->kept_by_gate, 0u);
}

TEST(TunablesTest, LoweredRetentionRefusesOlderReadsAtOnce) {
  StorageEnv env;
  env.options.pitr_retention_ms = 3'600'000;
  ASSERT_TRUE(env.Open().ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  uint64_t e1 = Put(env, t->id, "v1");
  env.clock.Advance(60'000);
  Put(env, t->id, "v2");
  auto old = GetAsOf(env, t->id, e1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(**old, "v1");
  env.cluster->SetTunables({1000, 1000, 0});
  EXPECT_EQ(GetAsOf(env, t->id, e1).status().code(), ErrorCode::kInvalidArgument);
}

TEST(TunablesTest, RaisedRetentionDoesNotReachBeforeWhatWasKept) {
  StorageEnv env;
  env.options.pitr_retention_ms = 0;
  ASSERT_TRUE(env.Open().ok());
  auto t = env.cluster->CreateTable("t");
  ASSERT_TRUE(t.ok());
  uint64_t e1 = Put(env, t->id, "v1");
  env.clock.Advance(1'000);
  Put(env, t->id, "v2");
  env.clock.Advance(1'000);
  ASSERT_TRUE(env.cluster->Compact().ok());  // retention 0: v1 is gone
  env.cluster->SetTunables({1000, 3'600'000, 0});
  // Inside the new window, but before what the old one kept: refused, not "v2".
  auto before = GetAsOf(env, t->id, e1);
  EXPECT_EQ(before.status().code(), ErrorCode::kInvalidArgument) << (before.ok() ? **before : "");
  // History from the change on is kept and readable.
  env.clock.Advance(1'000);
  uint64_t e3 = Put(env, t->id, "v3");
  env.clock.Advance(1'000);
  Put(env, t->id, "v4");
  ASSERT_TRUE(env.cluster->Compact().ok());
  auto after = GetAsOf(env, t->id, e3);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(**after, "v3");
}

}  // namespace
}  // namespace cairn
