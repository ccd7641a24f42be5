// The backup/restore scenario across meta store and object store types, against the
// real servers started by scripts/test-servers.sh (issue 7): a backup taken on one meta
// store type restores into another with byte-identical metadata, and the restored
// cluster reads the same data from fs or s3 object storage.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "backup/backup_service.h"
#include "backup/restore.h"
#include "common/random.h"
#include "meta/cluster_id.h"
#include "meta/keys.h"
#include "meta/params.h"
#include "meta/users.h"
#include "meta_store/postgres_test_util.h"
#include "storage/cluster.h"
#include "testing/test_util.h"

namespace cairn::testing {
namespace {

struct Combo {
  std::string source_meta, target_meta, objects, backups;
};

std::string PrintCombo(const ::testing::TestParamInfo<Combo>& info) {
  const Combo& c = info.param;
  return c.source_meta + "_to_" + c.target_meta + "_objects_" + c.objects + "_backups_" + c.backups;
}

class CrossStoreTest : public ::testing::TestWithParam<Combo> {
 protected:
  // A fresh namespace on the shared servers for every store this test opens.
  std::string Unique(const std::string& what) {
    static int counter = 0;
    return "xs" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" + what;
  }

  Result<std::string> MetaUrl(const std::string& kind) {
    std::string id = Unique("meta");
    if (kind == "sqlite") return "sqlite://" + dir_.Sub(id + ".db");
    if (kind == "postgres") {
      std::string base = PostgresTestUrl();
      if (base.empty()) return Status::Unavailable("CAIRN_TEST_POSTGRES_URL is not set");
      return WithSchema(base, id);
    }
    std::string base = ExternalEndpoint("CAIRN_TEST_ETCD_URL");
    if (base.empty()) return Status::Unavailable("CAIRN_TEST_ETCD_URL is not set");
    return base + "/" + id;
  }

  Result<std::string> ObjectUrl(const std::string& kind, const std::string& what) {
    std::string id = Unique(what);
    if (kind == "fs") return "fs://" + dir_.Sub(id);
    std::string url = ExternalEndpoint("CAIRN_TEST_S3_URL");
    if (url.empty()) return Status::Unavailable("CAIRN_TEST_S3_URL is not set");
    setenv("AWS_ACCESS_KEY_ID", ExternalEndpoint("CAIRN_TEST_S3_ACCESS_KEY").c_str(), 1);
    setenv("AWS_SECRET_ACCESS_KEY", ExternalEndpoint("CAIRN_TEST_S3_SECRET_KEY").c_str(), 1);
    size_t query = url.find('?');
    std::string base = url.substr(0, query);
    if (base.back() != '/') base += '/';
    return base + id + url.substr(query);
  }

  static std::map<std::string, std::map<std::string, std::string>> Dump(Cluster* c) {
    std::map<std::string, std::map<std::string, std::string>> state;
    auto tables = c->ListTables();
    EXPECT_TRUE(tables.ok());
    for (const auto& t : *tables) {
      auto& rows = state[t.name];
      auto it = c->Scan(t.id, "", "");
      EXPECT_TRUE(it.ok());
      for (; (*it)->Valid(); (*it)->Next()) rows[std::string((*it)->key())] = (*it)->value();
      EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
    }
    return state;
  }

  static std::map<std::string, std::string> SnapshotKeys(MetaStore* store) {
    std::map<std::string, std::string> out;
    std::string begin(1, '\0');
    while (true) {
      auto page = store->Range(begin, "", 1000);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return out;
      for (const auto& kv : *page) {
        bool excluded = false;
        for (auto prefix : keys::kExcludedPrefixes) excluded |= kv.key.starts_with(prefix);
        if (!excluded && !kv.key.starts_with(keys::kIdPrefix)) out[kv.key] = kv.value;
      }
      if (page->size() < 1000) return out;
      begin = page->back().key + '\0';
    }
  }

  TempDir dir_;
  ManualClock clock_;
};

TEST_P(CrossStoreTest, BackupOnOneStoreRestoresIntoAnother) {
  const Combo& combo = GetParam();
  for (const auto& [kind, var] :
       std::map<std::string, std::string>{{"postgres", "CAIRN_TEST_POSTGRES_URL"},
                                          {"etcd", "CAIRN_TEST_ETCD_URL"},
                                          {"s3", "CAIRN_TEST_S3_URL"}}) {
    bool used = combo.source_meta == kind || combo.target_meta == kind || combo.objects == kind ||
                combo.backups == kind;
    if (used) {
      CAIRN_REQUIRE_EXTERNAL(endpoint, var);
    }
  }
  ObjectStoreOptions object_options;
  object_options.clock = &clock_;
  auto objects = OpenObjectStore(*ObjectUrl(combo.objects, "data"), object_options);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  auto backups = OpenObjectStore(*ObjectUrl(combo.backups, "backup"), object_options);
  ASSERT_TRUE(backups.ok()) << backups.status().ToString();
  auto source_url = MetaUrl(combo.source_meta);
  ASSERT_TRUE(source_url.ok());
  auto source = OpenMetaStore(*source_url);
  ASSERT_TRUE(source.ok()) << source.status().ToString();

  MetaWriter writer(source->get(), &clock_);
  ASSERT_TRUE(writer.Open().ok());
  Random random(17);
  ASSERT_TRUE(EnsureClusterId(&writer, &random).ok());
  ClusterOptions options;
  options.clock = &clock_;
  options.background_threads = false;
  auto cluster = Cluster::Open(&writer, objects->get(), options);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  Cluster* c = cluster->get();
  for (int t = 0; t < 3; ++t) {
    auto table = c->CreateTable("t" + std::to_string(t));
    ASSERT_TRUE(table.ok());
    for (int round = 0; round < 2; ++round) {
      WriteBatch batch;
      for (int i = 0; i < 500; ++i) {
        batch.Put(table->id, "key" + std::to_string(i * 7 % 1000),
                  "v" + std::to_string(round) + "-" + std::to_string(i));
      }
      if (round == 1) batch.Delete(table->id, "key7");
      ASSERT_TRUE(c->Write(batch, false).ok());
      clock_.Advance(3);
      ASSERT_TRUE(c->Flush().ok());
    }
  }
  ASSERT_TRUE(c->DropTable("t2").ok());
  ASSERT_TRUE(c->Compact().ok());
  ASSERT_TRUE(Users(&writer, /*iterations=*/1000).Create("carol", "secret").ok());
  ASSERT_TRUE(SystemParams(&writer).Set("pitr_retention", "1h").ok());

  BackupService service(&writer, objects->get(), backups->get(), &clock_);
  auto backup = service.Create("cross-store");
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  auto expected_rows = Dump(c);
  auto expected_meta = SnapshotKeys(source->get());
  ASSERT_TRUE(service.Verify(backup->id).ok());
  ASSERT_TRUE(c->Close().ok());

  auto target_url = MetaUrl(combo.target_meta);
  ASSERT_TRUE(target_url.ok());
  auto target = OpenMetaStore(*target_url);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  BackupStorage storage(backups->get());
  RestoreOptions restore;
  restore.snapshot_id = backup->id;
  auto plan = RestoreSnapshot(&storage, objects->get(), target->get(), restore);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();

  // Byte-identical metadata (ids are bumped, the changelog seq moved with the pin).
  auto restored_meta = SnapshotKeys(target->get());
  restored_meta.erase(std::string(keys::kChangelogSeq));
  expected_meta.erase(std::string(keys::kChangelogSeq));
  // ... and the restore started timeline 2 (docs/pitr.md "Timelines").
  EXPECT_EQ(restored_meta[std::string(keys::kClusterTimeline)], "2");
  restored_meta.erase(std::string(keys::kClusterTimeline));
  EXPECT_EQ(restored_meta, expected_meta);

  MetaWriter target_writer(target->get(), &clock_);
  ASSERT_TRUE(target_writer.Open().ok());
  auto restored = Cluster::Open(&target_writer, objects->get(), options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(Dump(restored->get()), expected_rows);
  EXPECT_FALSE(Dump(restored->get()).count("t2"));
  ASSERT_TRUE((*restored)->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(Scenarios, CrossStoreTest,
                         ::testing::Values(Combo{"sqlite", "postgres", "fs", "s3"},
                                           Combo{"postgres", "etcd", "s3", "fs"},
                                           Combo{"etcd", "sqlite", "fs", "s3"}),
                         PrintCombo);

}  // namespace
}  // namespace cairn::testing
