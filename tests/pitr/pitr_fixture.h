// In-process cluster + backup storage + archiver on mem:// stores with a ManualClock,
// and a dump of everything a restore must reproduce (tables, users, params).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "backup/backup_service.h"
#include "backup/changelog_archive.h"
#include "backup/pitr_restore.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "meta/params.h"
#include "meta/users.h"
#include "storage/cluster.h"

namespace cairn::pitr_test {

using Rows = std::map<std::string, std::string>;

struct ModelState {
  std::map<std::string, Rows> tables;  // table name -> rows
  std::set<std::string> users;
  std::map<std::string, std::string> params;  // explicitly set params
  bool operator==(const ModelState&) const = default;
};

// Up to `max_ops` random puts and deletes over keys k0..k<keyspace-1> (25% deletes); a
// key is either put or deleted, never both.
inline void RandomBatch(Random* rnd, int max_ops, int keyspace, Rows* puts,
                        std::set<std::string>* deletes) {
  for (int i = 0, n = 1 + rnd->Uniform(max_ops); i < n; ++i) {
    std::string key = "k" + std::to_string(rnd->Uniform(keyspace));
    if (rnd->Percent(25)) {
      deletes->insert(key);
      puts->erase(key);
    } else {
      (*puts)[key] = "v" + std::to_string(rnd->Next() % 100000);
      deletes->erase(key);
    }
  }
}

inline std::string UniqueUrl(const std::string& what) {
  static int counter = 0;
  return "mem://pitr-" + what + "-" + std::to_string(++counter) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

inline constexpr int64_t kRetentionMs = 3600 * 1000;

struct Node {
  std::unique_ptr<MetaStore> meta;
  std::unique_ptr<MetaWriter> writer;
  std::unique_ptr<Cluster> cluster;
  std::function<void(VacuumStep)> vacuum_hook;  // passed to the cluster at Open

  Status Open(ObjectStore* objects, Clock* clock) {
    writer = std::make_unique<MetaWriter>(meta.get(), clock);
    CAIRN_RETURN_IF_ERROR(writer->Open());
    ClusterOptions options;
    options.clock = clock;
    options.background_threads = false;
    options.vacuum_min_age_ms = 0;
    options.pitr_retention_ms = kRetentionMs;
    options.vacuum_hook = vacuum_hook;
    CAIRN_ASSIGN_OR_RETURN(cluster, Cluster::Open(writer.get(), objects, options));
    return Status::OK();
  }
  void Close() {
    if (cluster) EXPECT_TRUE(cluster->Close().ok());
    cluster.reset();
  }
};

inline Rows ScanRows(Cluster* c, uint32_t table_id, const ReadOptions& read = {}) {
  Rows rows;
  auto it = c->Scan(table_id, "", "", read);
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  if (!it.ok()) return rows;
  for (; (*it)->Valid(); (*it)->Next()) rows[std::string((*it)->key())] = (*it)->value();
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
  return rows;
}

inline ModelState DumpNode(Node* node) {
  ModelState state;
  auto tables = node->cluster->ListTables();
  EXPECT_TRUE(tables.ok()) << tables.status().ToString();
  if (tables.ok()) {
    for (const auto& t : *tables) state.tables[t.name] = ScanRows(node->cluster.get(), t.id);
  }
  auto users = Users(node->writer.get()).List();
  EXPECT_TRUE(users.ok()) << users.status().ToString();
  if (users.ok()) {
    for (const auto& u : *users) state.users.insert(u.name);
  }
  auto params = SystemParams(node->writer.get()).List();
  EXPECT_TRUE(params.ok()) << params.status().ToString();
  if (params.ok()) {
    for (const auto& p : *params) {
      if (!p.is_default) state.params[p.name] = p.value;
    }
  }
  return state;
}

class PitrFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ObjectStoreOptions options;
    options.clock = &clock_;
    objects_ = *OpenObjectStore(UniqueUrl("data"), options);
    backups_ = *OpenObjectStore(UniqueUrl("backup"), options);
    source_.meta = *OpenMetaStore(UniqueUrl("meta"));
    ASSERT_TRUE(source_.Open(objects_.get(), &clock_).ok());
    Random random(7);
    ASSERT_TRUE(EnsureClusterId(source_.writer.get(), &random).ok());
    service_ = std::make_unique<BackupService>(source_.writer.get(), objects_.get(), backups_.get(),
                                               &clock_);
    ChangelogArchiverOptions archiver_options;
    archiver_options.clock = &clock_;
    archiver_options.pitr_retention_ms = kRetentionMs;
    archiver_ =
        std::make_unique<ChangelogArchiver>(source_.meta.get(), backups_.get(), archiver_options);
  }
  void TearDown() override { source_.Close(); }

  PointInTimeOptions Options() {
    PointInTimeOptions options;
    options.clock = &clock_;
    options.checkpoint_interval_ms = 5000;
    // The source keeps running on timeline 1 while tests restore from its storage again
    // and again; each restore starts a new timeline, which would be the default next.
    options.timeline = 1;
    return options;
  }

  // Restores into a fresh mem meta store; on success opens a cluster on it.
  Result<PointInTimePlan> RestoreInto(Node* node, PointInTimeOptions options) {
    node->meta = *OpenMetaStore(UniqueUrl("restored"));
    BackupStorage storage(backups_.get());
    auto plan = RestoreToPoint(&storage, objects_.get(), node->meta.get(), options);
    if (plan.ok() && plan->written) {
      Status opened = node->Open(objects_.get(), &clock_);
      if (!opened.ok()) return opened;
    }
    return plan;
  }

  Status WriteRows(const std::string& table, const std::map<std::string, std::string>& puts,
                   const std::set<std::string>& deletes) {
    CAIRN_ASSIGN_OR_RETURN(auto info, source_.cluster->GetTable(table));
    WriteBatch batch;
    for (const auto& [k, v] : puts) batch.Put(info.id, k, v);
    for (const auto& k : deletes) batch.Delete(info.id, k);
    CAIRN_RETURN_IF_ERROR(source_.cluster->Write(batch, /*wait=*/false).status());
    return source_.cluster->Flush().status();
  }

  // One random step against the source (writes, DDL, users, params, compaction, vacuum,
  // backups), mirrored in `model`. Shared by the seeded history tests.
  void RandomStep(Random* rnd, ModelState* model) {
    std::vector<std::string> live;
    for (const auto& [name, rows] : model->tables) live.push_back(name);
    uint64_t dice = rnd->Uniform(100);
    if (dice < 45 && !live.empty()) {
      const std::string& table = live[rnd->Uniform(live.size())];
      std::map<std::string, std::string> puts;
      std::set<std::string> deletes;
      RandomBatch(rnd, 20, 50, &puts, &deletes);
      ASSERT_TRUE(WriteRows(table, puts, deletes).ok());
      for (const auto& k : deletes) model->tables[table].erase(k);
      for (const auto& [k, v] : puts) model->tables[table][k] = v;
    } else if (dice < 55) {
      std::string name = "t" + std::to_string(rnd->Uniform(6));
      if (model->tables.count(name)) return;
      ASSERT_TRUE(source_.cluster->CreateTable(name).ok());
      model->tables[name];
    } else if (dice < 60 && !live.empty()) {
      const std::string& name = live[rnd->Uniform(live.size())];
      ASSERT_TRUE(source_.cluster->DropTable(name).ok());
      model->tables.erase(name);
    } else if (dice < 70) {
      Users users(source_.writer.get(), /*iterations=*/1000);
      std::string name = "u" + std::to_string(rnd->Uniform(4));
      if (model->users.count(name)) {
        ASSERT_TRUE(users.Drop(name).ok());
        model->users.erase(name);
      } else {
        ASSERT_TRUE(users.Create(name, "pw").ok());
        model->users.insert(name);
      }
    } else if (dice < 78) {
      std::string value = std::to_string(1 + rnd->Uniform(9)) + "s";
      ASSERT_TRUE(SystemParams(source_.writer.get()).Set("checkpoint_interval", value).ok());
      model->params["checkpoint_interval"] = value;
    } else if (dice < 86) {
      ASSERT_TRUE(source_.cluster->Compact().ok());
    } else if (dice < 90) {
      ASSERT_TRUE(source_.cluster->Vacuum({}).ok());
    } else if (dice < 95) {
      auto backup = service_->Create("step");
      ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    }
  }

  ManualClock clock_;
  std::unique_ptr<ObjectStore> objects_, backups_;
  Node source_;
  std::unique_ptr<BackupService> service_;
  std::unique_ptr<ChangelogArchiver> archiver_;
};

}  // namespace cairn::pitr_test
