// Self-contained backups (`cairn backup create --copy-data`, docs/backup-format.md
// "Copied SSTs") through the real CLI and server: the object store is deleted entirely
// and a restore into an empty one brings back exactly the data; a second backup copies
// only the new SSTs; deleting backups frees only the copies nobody needs; damaged copies
// are named and change nothing; S3 backup storage does a copy + restore round trip.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CopyDataCliTest : public CliTest {
 protected:
  json Backup(std::vector<std::string> extra) {
    std::vector<std::string> args = {"backup", "create", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Cairn(args);
    ExpectOk(r);
    return json::parse(r.out, nullptr, false);
  }

  json Json(std::vector<std::string> args) {
    RunResult r = Cairn(args);
    ExpectOk(r);
    return json::parse(r.out, nullptr, false);
  }

  void Load(const std::string& table, int rows, const std::string& seed) {
    ExpectOk(Cairn(
        {"load", table, "--rows", std::to_string(rows), "--value-size", "50", "--seed", seed}));
    ExpectOk(Cairn({"flush"}));
  }

  // Every regular file under `dir` (relative name -> size).
  static std::map<std::string, uintmax_t> Files(const std::string& dir) {
    std::map<std::string, uintmax_t> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = e.file_size();
    }
    return out;
  }

  std::vector<std::string> Restore(const std::string& backups, uint64_t id,
                                   std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"restore",
                                     "--backup-storage",
                                     backups,
                                     "--meta-store",
                                     "sqlite://" + data_dir_ + "/meta.db",
                                     "--object-store",
                                     "fs://" + data_dir_ + "/data",
                                     "--snapshot-id",
                                     std::to_string(id)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Stops the server and deletes its object store and meta store entirely.
  void LoseEverythingButBackups() {
    EXPECT_EQ(server_->Stop(), 0);
    server_addr_.clear();
    fs::remove_all(data_dir_ + "/data");
    for (auto suffix : {"", "-wal", "-shm"}) fs::remove(data_dir_ + "/meta.db" + suffix);
  }

  std::string backup_url() const { return "fs://" + data_dir_ + "/backup"; }
};

TEST_F(CopyDataCliTest, RestoreFromASelfContainedBackupAfterLosingTheObjectStore) {
  StartServer();
  for (std::string t : {"1", "2"}) {
    ExpectOk(Cairn({"table", "create", "t" + t}));
    Load("t" + t, 5000, t);
  }
  json ref = Backup({"--remarks", "reference only"});
  EXPECT_EQ(ref["self_contained"], false) << ref;
  EXPECT_EQ(ref["added_bytes"], 0) << ref;
  auto at_backup = DumpTables();
  json full = Backup({"--copy-data"});
  ASSERT_EQ(full["self_contained"], true) << full;
  EXPECT_EQ(full["added_ssts"], full["sst_count"]) << full;
  EXPECT_EQ(full["added_bytes"], full["sst_bytes"]) << full;
  uint64_t id = full["id"];
  EXPECT_EQ(Files(data_dir_ + "/backup/sst").size(), full["sst_count"].get<size_t>());

  RunResult list = Cairn({"backup", "list"});
  ExpectOk(list);
  EXPECT_NE(list.out.find("DATA"), std::string::npos) << list.out;
  json listed = Json({"backup", "list", "--json"});
  EXPECT_EQ(listed["backups"][1]["self_contained"], true) << listed;
  json deep = Json({"backup", "verify", std::to_string(id), "--deep", "--json"});
  EXPECT_EQ(deep["self_contained"], true) << deep;
  EXPECT_EQ(deep["copies_checked"], full["sst_count"]) << deep;
  EXPECT_EQ(deep["copy_bytes_read"], full["sst_bytes"]) << deep;

  LoseEverythingButBackups();
  // A reference-only backup cannot restore into the empty object store: refused, naming
  // how many SSTs are missing, nothing created.
  RunResult refused = Cairn(Restore(backup_url(), ref["id"]));
  ExpectError(refused, std::to_string(ref["sst_count"].get<uint64_t>()) + " SST(s) missing");
  EXPECT_NE(refused.err.find("reference-only"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(data_dir_ + "/meta.db"));
  EXPECT_TRUE(Files(data_dir_ + "/data").empty());

  // A damaged copy (one flipped byte, then a truncation) is named; nothing changes.
  std::string victim = data_dir_ + "/backup/sst/" + Files(data_dir_ + "/backup/sst").begin()->first;
  std::string original = ReadFile(victim);
  for (int kind = 0; kind < 2; ++kind) {
    std::string bytes = original;
    if (kind == 0) {
      bytes[bytes.size() / 2] ^= 0x01;
    } else {
      bytes.resize(bytes.size() - 7);
    }
    WriteFile(victim, bytes);
    RunResult damaged = Cairn(Restore(backup_url(), id));
    ExpectError(damaged, fs::path(victim).filename().string());
    EXPECT_EQ(Lines(damaged.err).size(), 1u) << damaged.err;
    EXPECT_FALSE(fs::exists(data_dir_ + "/meta.db"));
    EXPECT_TRUE(Files(data_dir_ + "/data").empty()) << "kind " << kind;
  }
  WriteFile(victim, original);

  RunResult restored = Cairn(Restore(backup_url(), id));
  ExpectOk(restored);
  EXPECT_NE(
      restored.out.find("copied " + std::to_string(full["sst_count"].get<uint64_t>()) + " SSTs"),
      std::string::npos)
      << restored.out;
  StartServer();
  EXPECT_EQ(DumpTables(), at_backup);
  // The restored cluster keeps working.
  ExpectOk(Cairn({"put", "t1", "after-restore", "x"}));
  ExpectOk(Cairn({"flush"}));
  EXPECT_EQ(Cairn({"get", "t1", "after-restore"}).out, "x\n");
}

TEST_F(CopyDataCliTest, IncrementalCopiesAndDeleteFreesOnlyUnneededCopies) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  Load("t", 20000, "1");
  json b1 = Backup({"--copy-data"});
  auto after_b1 = Files(data_dir_ + "/backup/sst");
  EXPECT_EQ(after_b1.size(), b1["sst_count"].get<size_t>());
  ExpectOk(Cairn({"table", "create", "u"}));
  Load("u", 500, "2");  // a few changes: new SSTs, the old ones untouched
  json b2 = Backup({"--copy-data"});
  auto after_b2 = Files(data_dir_ + "/backup/sst");
  size_t fresh = after_b2.size() - after_b1.size();
  ASSERT_GT(fresh, 0u);
  EXPECT_EQ(b2["added_ssts"].get<size_t>(), fresh) << b2;
  uint64_t fresh_bytes = 0;
  for (const auto& [name, size] : after_b2) {
    if (!after_b1.count(name)) fresh_bytes += size;
  }
  EXPECT_EQ(b2["added_bytes"].get<uint64_t>(), fresh_bytes) << b2;
  EXPECT_LT(b2["added_bytes"].get<uint64_t>(), b2["copy_bytes"].get<uint64_t>())
      << "copies only the changes";
  json shown = Json({"backup", "show", std::to_string(b2["id"].get<uint64_t>()), "--json"});
  EXPECT_EQ(shown["added_bytes"], b2["added_bytes"]) << shown;

  // Deleting b1 frees the copies only it listed, and none that b2 needs.
  ExpectOk(Cairn({"backup", "delete", std::to_string(b1["id"].get<uint64_t>())}));
  auto after_delete = Files(data_dir_ + "/backup/sst");
  EXPECT_EQ(after_delete.size(), b2["sst_count"].get<size_t>());
  for (const auto& [name, size] : after_delete) EXPECT_TRUE(after_b2.count(name)) << name;
  json verified =
      Json({"backup", "verify", std::to_string(b2["id"].get<uint64_t>()), "--deep", "--json"});
  EXPECT_EQ(verified["copies_checked"], b2["sst_count"]) << verified;
  // After compaction a third backup copies the compacted SSTs; deleting b2 then frees
  // every copy only b2 listed.
  ExpectOk(Cairn({"compact"}));
  json b3 = Backup({"--copy-data"});
  ExpectOk(Cairn({"backup", "delete", std::to_string(b2["id"].get<uint64_t>())}));
  EXPECT_EQ(Files(data_dir_ + "/backup/sst").size(), b3["sst_count"].get<size_t>());
  ExpectOk(Cairn({"backup", "delete", std::to_string(b3["id"].get<uint64_t>())}));
  EXPECT_TRUE(Files(data_dir_ + "/backup/sst").empty());
  EXPECT_TRUE(Files(data_dir_ + "/backup/copies").empty());
}

TEST_F(CopyDataCliTest, S3BackupStorageCopyAndRestoreRoundTrip) {
  CAIRN_REQUIRE_EXTERNAL(s3, "CAIRN_TEST_S3_URL");
  setenv("AWS_ACCESS_KEY_ID", ExternalEndpoint("CAIRN_TEST_S3_ACCESS_KEY").c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", ExternalEndpoint("CAIRN_TEST_S3_SECRET_KEY").c_str(), 1);
  // A fresh prefix of the test bucket: s3://bucket/PREFIX?endpoint=...
  size_t query = s3.find('?');
  std::string base = s3.substr(0, query);
  if (base.back() != '/') base += '/';
  std::string url = base + "copy-data-e2e-" + std::to_string(getpid()) + "-" +
                    fs::path(dir_.path()).filename().string() +
                    (query == std::string::npos ? "" : s3.substr(query));
  StartServer({"--backup-storage", url});
  ExpectOk(Cairn({"table", "create", "t"}));
  Load("t", 8000, "3");
  auto at_backup = DumpTables();
  json b = Backup({"--copy-data"});
  ASSERT_EQ(b["self_contained"], true) << b;
  json deep =
      Json({"backup", "verify", std::to_string(b["id"].get<uint64_t>()), "--deep", "--json"});
  EXPECT_EQ(deep["copies_checked"], b["sst_count"]) << deep;
  LoseEverythingButBackups();
  RunResult restored = Cairn(Restore(url, b["id"]));
  ExpectOk(restored);
  EXPECT_EQ(Files(data_dir_ + "/data/data").size(), b["sst_count"].get<size_t>());
  StartServer({"--backup-storage", url});
  EXPECT_EQ(DumpTables(), at_backup);
}

}  // namespace
}  // namespace cairn::testing
