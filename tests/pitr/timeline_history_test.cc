// The seeded history of issue 12: writes, DDL, backups, archiving, compactions, full
// vacuums and restores — to listed backups and to random instants of random timelines —
// all on ONE object store and ONE backup storage. After every restore the restored state
// equals the model at that timeline and instant; at the end every backup ever listed
// still restores exactly.
#include <gtest/gtest.h>

#include "backup/restore.h"
#include "common/epoch.h"
#include "pitr/pitr_fixture.h"

namespace cairn::pitr_test {
namespace {

struct Point {
  int64_t ms = 0;  // clock time after the step; the state holds until the next step
  ModelState state;
};

std::string Describe(const ModelState& s) {
  std::string out;
  for (const auto& [name, rows] : s.tables) {
    out += name + "{";
    for (const auto& [k, v] : rows) out += k + "=" + v + ",";
    out += "} ";
  }
  return out;
}

struct Running {
  std::unique_ptr<Node> node;
  std::unique_ptr<BackupService> backups;
  std::unique_ptr<ChangelogArchiver> archiver;
  uint32_t timeline = 1;
};

class TimelineHistoryTest : public PitrFixture, public ::testing::WithParamInterface<int> {
 protected:
  Running Wrap(std::unique_ptr<Node> node, uint32_t timeline) {
    Running r;
    r.node = std::move(node);
    r.backups = std::make_unique<BackupService>(r.node->writer.get(), objects_.get(),
                                                backups_.get(), &clock_);
    ChangelogArchiverOptions options;
    options.clock = &clock_;
    options.pitr_retention_ms = kRetentionMs;
    r.archiver = std::make_unique<ChangelogArchiver>(r.node->meta.get(), backups_.get(), options);
    r.timeline = timeline;
    return r;
  }

  void Step(Running* r, Random* rnd, int* keys) {
    Cluster* c = r->node->cluster.get();
    auto table = c->GetTable("t");
    ASSERT_TRUE(table.ok());
    WriteBatch batch;
    int n = 1 + rnd->Uniform(4);
    for (int i = 0; i < n; ++i) {
      std::string key = "k" + std::to_string(rnd->Uniform(*keys + 1));
      if (rnd->Percent(20)) {
        batch.Delete(table->id, key);
      } else {
        batch.Put(table->id, key, "v" + std::to_string(rnd->Next() % 1000));
        ++*keys;
      }
    }
    ASSERT_TRUE(c->Write(batch, false).ok());
    ASSERT_TRUE(c->Flush().ok());
    if (rnd->Percent(10)) {
      std::string name = "u" + std::to_string(rnd->Uniform(3));
      if (c->GetTable(name).ok()) {
        ASSERT_TRUE(c->DropTable(name).ok());
      } else {
        ASSERT_TRUE(c->CreateTable(name).ok());
      }
    }
  }

  // The state of `timeline` at `ms`: the last point at or before it.
  const ModelState* StateAt(uint32_t timeline, int64_t ms) {
    const ModelState* found = nullptr;
    for (const auto& p : history_[timeline]) {
      if (p.ms <= ms) found = &p.state;
    }
    return found;
  }

  std::map<uint32_t, std::vector<Point>> history_;  // timeline -> its states, ancestry first
};

TEST_P(TimelineHistoryTest, RestoresOnOneObjectStoreAndOneBackupStorage) {
  Random rnd(GetParam());
  source_.Close();
  auto first = std::make_unique<Node>();
  first->meta = std::move(source_.meta);
  ASSERT_TRUE(first->Open(objects_.get(), &clock_).ok());
  Running cur = Wrap(std::move(first), 1);
  ASSERT_TRUE(cur.node->cluster->CreateTable("t").ok());
  std::vector<std::pair<SnapshotEntry, ModelState>> listed;
  int keys = 0, pitr_restores = 0, snapshot_restores = 0;
  for (int step = 0; step < 80; ++step) {
    SCOPED_TRACE("seed " + std::to_string(GetParam()) + " step " + std::to_string(step));
    clock_.Advance(100 + rnd.Uniform(200));
    int action = rnd.Uniform(100);
    if (action < 55) {
      ASSERT_NO_FATAL_FAILURE(Step(&cur, &rnd, &keys));
    } else if (action < 65) {
      auto b = cur.backups->Create("s" + std::to_string(step));
      ASSERT_TRUE(b.ok()) << b.status().ToString();
      listed.emplace_back(*b, DumpNode(cur.node.get()));
    } else if (action < 72) {
      ASSERT_TRUE(cur.node->cluster->Compact().ok());
    } else if (action < 78) {
      ASSERT_TRUE(cur.node->cluster->Vacuum({true, false}).ok());
    } else if (listed.empty()) {
      ASSERT_NO_FATAL_FAILURE(Step(&cur, &rnd, &keys));
    } else if (action < 90) {
      // Restore to an instant of a random timeline: archive what this one has first.
      ASSERT_TRUE(cur.archiver->ArchiveOnce().ok());
      auto tl = std::next(history_.begin(), rnd.Uniform(history_.size()));
      if (tl->second.empty()) continue;
      const Point& p = tl->second[rnd.Uniform(tl->second.size())];
      PointInTimeOptions options = Options();
      options.to_epoch = MaxEpochAtMillis(p.ms + 50);
      options.timeline = tl->first;
      auto restored = std::make_unique<Node>();
      auto plan = RestoreInto(restored.get(), options);
      if (!plan.ok() && plan.status().code() == ErrorCode::kInvalidArgument) continue;  // range
      ASSERT_TRUE(plan.ok()) << "timeline " << tl->first << ": " << plan.status().ToString();
      EXPECT_EQ(DumpNode(restored.get()), p.state)
          << "timeline " << tl->first << " at " << p.ms + 50 << ": "
          << Describe(DumpNode(restored.get())) << " vs model " << Describe(p.state)
          << " (restored on " << plan->range.ToString() << ")";
      std::vector<Point> inherited;
      for (const auto& q : tl->second) {
        if (q.ms <= p.ms + 50) inherited.push_back(q);
      }
      cur.node->Close();
      cur = Wrap(std::move(restored), plan->timeline);
      history_[cur.timeline] = std::move(inherited);
      ++pitr_restores;
    } else {
      ASSERT_TRUE(cur.archiver->ArchiveOnce().ok());
      const auto& [entry, state] = listed[rnd.Uniform(listed.size())];
      auto restored = std::make_unique<Node>();
      restored->meta = *OpenMetaStore(UniqueUrl("snapshot-restore"));
      BackupStorage storage(backups_.get());
      RestoreOptions options;
      options.snapshot_id = entry.id;
      options.clock = &clock_;
      auto plan = RestoreSnapshot(&storage, objects_.get(), restored->meta.get(), options);
      ASSERT_TRUE(plan.ok()) << plan.status().ToString();
      ASSERT_TRUE(restored->Open(objects_.get(), &clock_).ok());
      EXPECT_EQ(DumpNode(restored.get()), state) << "backup " << entry.id;
      std::vector<Point> inherited;
      for (const auto& q : history_[entry.timeline]) {
        if (q.ms <= entry.created_ms) inherited.push_back(q);
      }
      cur.node->Close();
      cur = Wrap(std::move(restored), plan->timeline);
      history_[cur.timeline] = std::move(inherited);
      ++snapshot_restores;
    }
    history_[cur.timeline].push_back({clock_.NowMillis(), DumpNode(cur.node.get())});
  }
  cur.node->Close();
  for (const auto& [entry, state] : listed) {
    Node node;
    node.meta = *OpenMetaStore(UniqueUrl("final"));
    BackupStorage storage(backups_.get());
    RestoreOptions options;
    options.snapshot_id = entry.id;
    options.clock = &clock_;
    auto plan = RestoreSnapshot(&storage, objects_.get(), node.meta.get(), options);
    ASSERT_TRUE(plan.ok()) << "backup " << entry.id << ": " << plan.status().ToString();
    ASSERT_TRUE(node.Open(objects_.get(), &clock_).ok());
    EXPECT_EQ(DumpNode(&node), state) << "backup " << entry.id << " no longer restores exactly";
    node.Close();
  }
  EXPECT_GT(pitr_restores + snapshot_restores, 0) << "the seed restored nothing";
}

INSTANTIATE_TEST_SUITE_P(Seeds, TimelineHistoryTest, ::testing::Range(1, 13));

}  // namespace
}  // namespace cairn::pitr_test
