// Randomized model test: random DDL, puts, deletes, gets and scans over several tables,
// checked against a std::map oracle, with flushes, compactions, vacuums, reopens and
// time-travel reads interleaved. Reproducible by seed: a failure prints its seed, and
// CAIRN_MODEL_SEED=<n> runs just that seed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/epoch.h"
#include "common/random.h"
#include "storage/storage_test_env.h"

namespace cairn {
namespace {

using testing::ScanAll;
using testing::StorageEnv;
using Rows = std::map<std::string, std::string>;
using Model = std::map<uint32_t, Rows>;  // live table id -> rows

class ModelRun {
 public:
  ModelRun(uint64_t seed, std::string fs_dir) : rnd_(seed), env_(std::move(fs_dir)) {
    const int64_t retentions[] = {0, 2'000, 1'000'000'000};
    env_.options.pitr_retention_ms = retentions[rnd_.Uniform(3)];
    env_.options.target_sst_bytes = 512 + rnd_.Uniform(4096);
  }

  void Run(int steps) {
    ASSERT_TRUE(env_.Open().ok());
    for (int i = 0; i < 3; ++i) CreateTable();
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      ASSERT_NO_FATAL_FAILURE(Step());
    }
    ASSERT_NO_FATAL_FAILURE(Flush());
    ASSERT_NO_FATAL_FAILURE(CheckAll());
    ASSERT_TRUE(env_.Reopen().ok());
    ASSERT_NO_FATAL_FAILURE(CheckAll());
  }

 private:
  Cluster* c() { return env_.cluster.get(); }

  void Step() {
    uint64_t dice = rnd_.Uniform(100);
    if (dice < 40) return WriteBatchOp();
    if (dice < 50) return Flush();
    if (dice < 62) return CheckGet();
    if (dice < 70) return CheckScan();
    if (dice < 74) return Compact();
    if (dice < 78) return Vacuum();
    if (dice < 81) return Reopen();
    if (dice < 86) return TimeTravel();
    if (dice < 89) return DropTable();
    if (dice < 91) return CreateTable();
    env_.clock.Advance(rnd_.Uniform(1500));
  }

  uint32_t RandomLiveTable() {
    auto it = pending_.begin();
    std::advance(it, rnd_.Uniform(pending_.size()));
    return it->first;
  }
  std::string RandomKey() { return "k" + std::to_string(rnd_.Uniform(40)); }

  void CreateTable() {
    auto t = c()->CreateTable("t" + std::to_string(next_name_++));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    pending_[t->id];
    created_[t->id] = t->created_epoch;
    Committed();  // a DDL checkpoints the writes made before it
  }

  void DropTable() {
    if (pending_.size() <= 1) return;
    uint32_t id = RandomLiveTable();
    std::string name;
    auto tables = c()->ListTables();
    ASSERT_TRUE(tables.ok());
    for (const auto& t : *tables) {
      if (t.id == id) name = t.name;
    }
    ASSERT_TRUE(c()->DropTable(name).ok());
    pending_.erase(id);
    Committed();  // a DDL checkpoints the writes made before it
    WriteBatch b;
    b.Put(id, "k", "v");
    ASSERT_TRUE(c()->Write(b, false).status().IsNotFound());
  }

  void WriteBatchOp() {
    WriteBatch batch;
    Model next = pending_;
    int n = 1 + rnd_.Uniform(6);
    for (int i = 0; i < n; ++i) {
      uint32_t t = RandomLiveTable();
      std::string k = RandomKey();
      if (rnd_.OneIn(4)) {
        batch.Delete(t, k);
        next[t].erase(k);
      } else {
        std::string v = rnd_.Bytes(rnd_.Uniform(40));
        batch.Put(t, k, v);
        next[t][k] = v;
      }
    }
    bool wait = rnd_.OneIn(5);
    auto epoch = c()->Write(batch, wait);
    ASSERT_TRUE(epoch.ok()) << epoch.status().ToString();
    pending_ = std::move(next);
    if (wait) Committed();
  }

  void Flush() {
    auto e = c()->Flush();
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    Committed();
  }

  // Everything written so far is committed now.
  void Committed() {
    committed_ = pending_;
    // A table created in an epoch that never committed (lost in a reopen) exists only
    // from its creation epoch on.
    uint64_t epoch = c()->committed_epoch();
    Model state = committed_;
    std::erase_if(state, [&](const auto& t) { return created_[t.first] > epoch; });
    history_[epoch] = state;
  }

  void CheckGet() {
    uint32_t t = RandomLiveTable();
    for (int i = 0; i < 5; ++i) {
      std::string k = RandomKey();
      auto v = c()->Get(t, k);
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      const Rows& rows = committed_[t];
      auto it = rows.find(k);
      std::optional<std::string> want;
      if (it != rows.end()) want = it->second;
      ASSERT_EQ(*v, want) << "table " << t << " key " << k;
    }
  }

  void CheckScan() {
    uint32_t t = RandomLiveTable();
    std::string from = rnd_.OneIn(3) ? "" : RandomKey();
    std::string to = rnd_.OneIn(3) ? "" : RandomKey();
    auto it = c()->Scan(t, from, to);
    ASSERT_TRUE(it.ok()) << it.status().ToString();
    Rows got;
    for (; (*it)->Valid(); (*it)->Next()) got[std::string((*it)->key())] = (*it)->value();
    ASSERT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
    Rows want;
    for (const auto& [k, v] : committed_[t]) {
      if (k >= from && (to.empty() || k < to)) want[k] = v;
    }
    ASSERT_EQ(got, want) << "table " << t << " [" << from << ", " << to << ")";
  }

  void Compact() { ASSERT_TRUE(c()->Compact().ok()); }

  void Vacuum() {
    VacuumOptions options{rnd_.OneIn(2), rnd_.OneIn(4)};
    auto report = c()->Vacuum(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    std::set<uint64_t> stored = env_.StoredObjects();
    for (uint64_t id : env_.VersionObjects()) {
      ASSERT_TRUE(stored.count(id)) << "vacuum deleted referenced " << SstObjectKey(id);
    }
  }

  void Reopen() {
    ASSERT_TRUE(env_.Reopen().ok());
    // Unflushed writes are lost; DDL was durable when it returned.
    committed_ = Prune(committed_);
    pending_ = committed_;
  }

  // Drops model tables the catalog no longer lists (dropped before the reopen).
  Model Prune(Model m) {
    std::set<uint32_t> live;
    auto tables = c()->ListTables();
    EXPECT_TRUE(tables.ok());
    if (tables.ok()) {
      for (const auto& t : *tables) live.insert(t.id);
    }
    for (auto it = m.begin(); it != m.end();)
      it = live.count(it->first) ? std::next(it) : m.erase(it);
    for (uint32_t id : live) m[id];
    return m;
  }

  // Reads as of a past committed epoch inside the retention window.
  void TimeTravel() {
    if (history_.empty()) return;
    auto it = history_.begin();
    std::advance(it, rnd_.Uniform(history_.size()));
    auto [epoch, state] = *it;
    int64_t window_start = env_.clock.NowMillis() - env_.options.pitr_retention_ms;
    if (EpochToMillis(epoch) <= window_start + 1 && epoch < c()->committed_epoch()) return;
    for (const auto& [table, rows] : state) {
      auto got = ScanAll(c(), table, epoch);
      ASSERT_TRUE(got.ok()) << "as of " << epoch << ": " << got.status().ToString();
      ASSERT_EQ(*got, rows) << "table " << table << " as of " << epoch;
    }
  }

  void CheckAll() {
    auto tables = c()->ListTables();
    ASSERT_TRUE(tables.ok());
    ASSERT_EQ(tables->size(), committed_.size());
    for (const auto& [table, rows] : committed_) {
      auto got = ScanAll(c(), table);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(*got, rows) << "table " << table;
    }
  }

  Random rnd_;
  StorageEnv env_;
  Model pending_;    // written, maybe not committed
  Model committed_;  // what reads must see
  std::map<uint64_t, Model> history_;
  std::map<uint32_t, uint64_t> created_;  // table id -> created epoch
  int next_name_ = 0;
};

void RunSeeds(uint64_t first, uint64_t count, int steps, const std::string& fs_root) {
  if (const char* s = std::getenv("CAIRN_MODEL_SEED")) {
    first = std::strtoull(s, nullptr, 10);
    count = 1;
  }
  for (uint64_t seed = first; seed < first + count; ++seed) {
    std::string dir;
    std::unique_ptr<testing::TempDir> tmp;
    if (!fs_root.empty()) {
      tmp = std::make_unique<testing::TempDir>();
      dir = tmp->path().string();
    }
    ModelRun run(seed, dir);
    run.Run(steps);
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) {
      FAIL() << "model test failed with seed " << seed << " (rerun: CAIRN_MODEL_SEED=" << seed
             << ")";
    }
  }
}

TEST(StorageModelTest, TwoHundredSeedsOnMemStores) { RunSeeds(1, 200, 250, ""); }

TEST(StorageModelTest, SomeSeedsOnSqliteAndFs) { RunSeeds(10'001, 4, 80, "fs"); }

}  // namespace
}  // namespace cairn
