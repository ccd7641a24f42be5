// BackupScheduler and VacuumScheduler driven by a ManualClock (RunDue, no threads): when
// a backup is due, what retention deletes, failures and restarts.
#include "server/backup_scheduler.h"

#include <gtest/gtest.h>

#include "backup/schedule_store.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "object_store/fault_object_store.h"
#include "server/vacuum_scheduler.h"
#include "storage/cluster.h"
#include "testing/mem_backup_fixture.h"

namespace cairn::server {
namespace {

class BackupSchedulerTest : public MemBackupFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenCluster("scheduler"));
    NewScheduler();
  }

  void NewScheduler() {
    scheduler_ = std::make_unique<BackupScheduler>(meta_.get(), service_.get(), &clock_,
                                                   [this] { return retention_ms_; });
  }
  void SetSchedule(int64_t every_ms, int64_t keep_last) {
    BackupSchedule s;
    s.every_ms = every_ms;
    s.keep_last = keep_last;
    s.set_ms = clock_.NowMillis();
    ASSERT_TRUE(SaveBackupSchedule(writer_.get(), s).ok());
  }
  std::vector<uint64_t> Listed() {
    std::vector<uint64_t> ids;
    auto manifest = service_->List();
    EXPECT_TRUE(manifest.ok()) << manifest.status().ToString();
    if (!manifest.ok()) return ids;
    for (const auto& e : manifest->snapshots) ids.push_back(e.id);
    return ids;
  }

  int64_t retention_ms_ = 0;
  std::unique_ptr<FaultInjectingObjectStore> faulty_;
  std::unique_ptr<BackupScheduler> scheduler_;
};

TEST_F(BackupSchedulerTest, NothingWithoutASchedule) {
  EXPECT_GT(scheduler_->RunDue(), 0);
  EXPECT_TRUE(Listed().empty());
  EXPECT_FALSE(scheduler_->state().schedule.has_value());
}

TEST_F(BackupSchedulerTest, TakesABackupEveryIntervalAndKeepsTheNewest) {
  SetSchedule(10'000, 2);
  EXPECT_EQ(scheduler_->RunDue(), 10'000);  // first one due one interval after the set
  EXPECT_TRUE(Listed().empty());
  clock_.Advance(9'999);
  EXPECT_EQ(scheduler_->RunDue(), 1);
  EXPECT_TRUE(Listed().empty());
  for (int i = 1; i <= 4; ++i) {
    clock_.Advance(i == 1 ? 1 : 10'000);
    EXPECT_EQ(scheduler_->RunDue(), 10'000);
  }
  EXPECT_EQ(Listed(), (std::vector<uint64_t>{3, 4}));
  BackupSchedulerState state = scheduler_->state();
  EXPECT_EQ(state.runs, 4u);
  EXPECT_EQ(state.failures, 0u);
  ASSERT_TRUE(state.last_run.has_value());
  EXPECT_TRUE(state.last_run->ok);
  EXPECT_EQ(state.last_run->backup_id, 4u);
  EXPECT_EQ(state.last_run->expired, std::vector<uint64_t>{2});
  EXPECT_EQ(state.last_success_ms, clock_.NowMillis());
  EXPECT_EQ(state.next_due_ms, clock_.NowMillis() + 10'000);
}

// schedule set --copy-data: scheduled backups are self-contained, and retention's
// deletes free the copies no kept backup needs.
TEST_F(BackupSchedulerTest, CopyDataSchedulesSelfContainedBackupsAndRetentionFreesCopies) {
  ASSERT_TRUE(cluster_->CreateTable("t").ok());
  BackupSchedule s;
  s.every_ms = 10'000;
  s.keep_last = 1;
  s.copy_data = true;
  s.set_ms = clock_.NowMillis();
  ASSERT_TRUE(SaveBackupSchedule(writer_.get(), s).ok());
  for (int i = 0; i < 3; ++i) {
    uint32_t table = cluster_->GetTable("t")->id;
    WriteBatch batch;
    batch.Put(table, "k" + std::to_string(i), "v");
    ASSERT_TRUE(cluster_->Write(batch, /*wait=*/false).ok());
    ASSERT_TRUE(cluster_->Flush().ok());
    ASSERT_TRUE(cluster_->Compact().ok());  // one SST, replaced each time
    clock_.Advance(10'000);
    scheduler_->RunDue();
  }
  auto manifest = service_->List();
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ(manifest->snapshots.size(), 1u);
  const SnapshotEntry& kept = manifest->snapshots[0];
  EXPECT_TRUE(kept.self_contained());
  ASSERT_GT(kept.sst_count, 0u);
  size_t copies = 0;
  ASSERT_TRUE(ListAll(*backups_, "sst/", [&](const ObjectMeta&) {
                ++copies;
                return Status::OK();
              }).ok());
  EXPECT_EQ(copies, kept.sst_count) << "the expired backups' copies are freed";
}

TEST_F(BackupSchedulerTest, BackupsByHandStayAndAreNotCountedAsScheduled) {
  ASSERT_TRUE(service_->Create("by hand").ok());
  SetSchedule(1'000, 1);
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(1'000);
    scheduler_->RunDue();
  }
  EXPECT_EQ(Listed(), (std::vector<uint64_t>{1, 4}));
}

TEST_F(BackupSchedulerTest, ARestartedSchedulerWaitsForTheNewestScheduledBackup) {
  SetSchedule(10'000, 0);
  clock_.Advance(10'000);
  scheduler_->RunDue();
  ASSERT_EQ(Listed().size(), 1u);
  clock_.Advance(4'000);
  NewScheduler();  // a server restart: state is rebuilt from the manifest
  EXPECT_EQ(scheduler_->RunDue(), 6'000);
  EXPECT_EQ(Listed().size(), 1u);
  EXPECT_EQ(scheduler_->state().last_success_ms, clock_.NowMillis() - 4'000);
}

TEST_F(BackupSchedulerTest, AFailedRunIsCountedAndRetried) {
  faulty_ = std::make_unique<FaultInjectingObjectStore>(backups_.get(), 1, &clock_);
  FaultInjectingObjectStore* faults = faulty_.get();
  service_ = std::make_unique<BackupService>(writer_.get(), objects_.get(), faults, &clock_);
  NewScheduler();
  SetSchedule(600'000, 1);
  EXPECT_EQ(scheduler_->RunDue(), 60'000);  // seen (the manifest read); due in 10 min
  clock_.Advance(600'000);
  faults->SetFailureRate(1.0);
  EXPECT_EQ(scheduler_->RunDue(), 60'000);  // retry after min(every, 1 min)
  BackupSchedulerState state = scheduler_->state();
  EXPECT_EQ(state.failures, 1u);
  ASSERT_TRUE(state.last_run.has_value());
  EXPECT_FALSE(state.last_run->ok);
  EXPECT_FALSE(state.last_run->error.empty());
  EXPECT_EQ(state.last_run->backup_id, 0u);
  faults->SetFailureRate(0);
  clock_.Advance(60'000);
  scheduler_->RunDue();
  EXPECT_EQ(scheduler_->state().failures, 1u);
  EXPECT_TRUE(scheduler_->state().last_run->ok);
  EXPECT_EQ(Listed().size(), 1u);
}

TEST_F(BackupSchedulerTest, VacuumSchedulerRunsEveryIntervalAndNotWhenOff) {
  int64_t interval = 0;
  VacuumScheduler vacuum(cluster_.get(), &clock_, [&] { return interval; });
  vacuum.RunDue();
  clock_.Advance(3'600'000);
  vacuum.RunDue();
  EXPECT_EQ(vacuum.stats().runs, 0u);  // off
  interval = 5'000;
  EXPECT_EQ(vacuum.RunDue(), 5'000);  // the new interval counts from now
  clock_.Advance(5'000);
  vacuum.RunDue();
  EXPECT_EQ(vacuum.stats().runs, 1u);
  EXPECT_EQ(vacuum.stats().last_success_ms, clock_.NowMillis());
  clock_.Advance(4'999);
  vacuum.RunDue();
  EXPECT_EQ(vacuum.stats().runs, 1u);
}

}  // namespace
}  // namespace cairn::server
