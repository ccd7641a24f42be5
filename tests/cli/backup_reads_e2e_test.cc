// Reads served from backups through the real CLI and server (issue 16): with the default
// pitr_retention of 0, `scan --as-of` an instant after each backup equals the model at
// that backup's cut, through writes, deletes, a drop, compaction and a full vacuum;
// `--backup ID` reads one backup; after a restore (timeline 2) only backups of the
// current timeline's history serve; bad input is one error line.
#include <chrono>
#include <filesystem>
#include <thread>

#include "cli_fixture.h"
#include "common/epoch.h"

namespace cairn::testing {
namespace {

using Rows = std::map<std::string, std::string>;

class BackupReadsCliTest : public CliTest {
 protected:
  // Writes wait for their checkpoint: a short interval keeps the test fast.
  void StartFastServer() {
    StartServer();
    ExpectOk(Cairn({"param", "set", "checkpoint_interval", "10ms"}));
  }
  void Put(const std::string& table, const std::string& key, const std::string& value) {
    ExpectOk(Cairn({"put", table, key, value}));
    model_[table][key] = value;
  }
  void Delete(const std::string& table, const std::string& key) {
    ExpectOk(Cairn({"delete", table, key}));
    model_[table].erase(key);
  }
  static std::string Text(const Rows& rows) {
    std::string out;
    for (const auto& [k, v] : rows) out += k + "\t" + v + "\n";
    return out;
  }
  // A backup, and an instant after it and before anything else changes: as epoch text.
  struct Cut {
    uint64_t id = 0;
    std::string after;
    std::map<std::string, Rows> model;
  };
  Cut Backup() {
    RunResult r = Cairn({"backup", "create"});
    ExpectOk(r);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Cut cut{std::stoull(r.out), Now(), model_};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return cut;
  }
  static std::string Now() {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return std::to_string(MaxEpochAtMillis(ms));
  }
  static std::string Note(uint64_t id) { return "note: served from backup " + std::to_string(id); }

  // `scan TABLE ARGS` equals `rows` and is served from backup `id` (one note line).
  void ExpectServed(const std::string& table, std::vector<std::string> args, const Rows& rows,
                    uint64_t id) {
    std::vector<std::string> argv = {"scan", table};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = Cairn(argv);
    ExpectOk(r);
    EXPECT_EQ(r.out, Text(rows)) << args.back();
    EXPECT_EQ(r.err.rfind(Note(id) + " at ", 0), 0u) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }

  std::map<std::string, Rows> model_;
};

TEST_F(BackupReadsCliTest, AsOfOlderThanRetentionIsServedFromTheBackupAtOrBeforeIt) {
  StartFastServer();
  std::string before_everything = Now();
  ExpectOk(Cairn({"table", "create", "t"}));
  for (int i = 10; i < 30; ++i) Put("t", "k" + std::to_string(i), "v1");
  Cut b1 = Backup();

  for (int i = 10; i < 15; ++i) Delete("t", "k" + std::to_string(i));
  for (int i = 15; i < 20; ++i) Put("t", "k" + std::to_string(i), "v2");
  ExpectOk(Cairn({"table", "create", "u"}));
  Put("u", "x", "1");
  Cut b2 = Backup();

  ExpectOk(Cairn({"table", "drop", "u"}));
  model_.erase("u");
  Put("t", "k30", "v3");
  ExpectOk(Cairn({"compact"}));
  ExpectOk(Cairn({"vacuum", "--full"}));
  Cut b3 = Backup();
  Put("t", "k31", "after every backup");

  // Nothing of it is in the retention window (0): each instant reads its backup.
  for (const Cut* cut : {&b1, &b2, &b3}) {
    for (const auto& [table, rows] : cut->model) {
      ExpectServed(table, {"--as-of", cut->after}, rows, cut->id);
      ExpectServed(table, {"--backup", std::to_string(cut->id)}, rows, cut->id);
    }
  }
  EXPECT_EQ(Cairn({"scan", "t"}).out, Text(model_["t"])) << "latest reads stay live";
  RunResult get = Cairn({"get", "t", "k15", "--as-of", b1.after});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v1\n");
  EXPECT_NE(get.err.find(Note(b1.id)), std::string::npos) << get.err;
  EXPECT_NE(get.err.find("the state at its cut"), std::string::npos) << get.err;
  RunResult deleted = Cairn({"get", "t", "k10", "--backup", std::to_string(b2.id)});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.err.find("error: key 'k10' not found"), std::string::npos) << deleted.err;
  RunResult json = Cairn({"scan", "u", "--backup", std::to_string(b2.id), "--json"});
  ExpectOk(json);
  EXPECT_EQ(json.out, "{\"backup\":" + std::to_string(b2.id) + ",\"key\":\"x\",\"value\":\"1\"}\n");
  RunResult get_json = Cairn({"get", "u", "x", "--as-of", b2.after, "--json"});
  ExpectOk(get_json);
  EXPECT_EQ(get_json.out,
            "{\"backup\":" + std::to_string(b2.id) + ",\"key\":\"x\",\"value\":\"1\"}\n");

  // Bad input: one error line each.
  ExpectError(Cairn({"scan", "t", "--as-of", before_everything}),
              "the oldest readable point is backup " + std::to_string(b1.id));
  ExpectError(Cairn({"scan", "t", "--backup", "99"}), "backup 99 does not exist");
  ExpectError(Cairn({"scan", "u", "--backup", std::to_string(b1.id)}),
              "table 'u' did not exist at the cut of backup " + std::to_string(b1.id));
  // Usage errors (exit 2, as every CLI usage error).
  RunResult both = Cairn({"scan", "t", "--backup", "1", "--as-of", b1.after});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(both.err.rfind("error: --as-of excludes --backup", 0), 0u) << both.err;
  RunResult zero = Cairn({"get", "t", "k20", "--backup", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err.rfind("error: --backup: Value 0 not in range 1 to", 0), 0u) << zero.err;
}

TEST_F(BackupReadsCliTest, DamagedSnapshotFileIsAClearErrorAndOthersStillServe) {
  StartFastServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  Put("t", "k", "v");
  Cut b1 = Backup();
  Cut b2 = Backup();
  std::string file = data_dir_ + "/backup/snapshots/" + std::to_string(b1.id) + ".snap";
  ASSERT_TRUE(std::filesystem::exists(file));
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
  ExpectError(Cairn({"scan", "t", "--backup", std::to_string(b1.id)}), "snapshot");
  std::filesystem::remove(file);
  ExpectError(Cairn({"scan", "t", "--backup", std::to_string(b1.id)}), "is missing");
  ExpectServed("t", {"--backup", std::to_string(b2.id)}, model_["t"], b2.id);
  ExpectOk(Cairn({"backup", "delete", std::to_string(b2.id)}));
  ExpectError(Cairn({"scan", "t", "--backup", std::to_string(b2.id)}),
              "backup " + std::to_string(b2.id) + " does not exist");
}

TEST_F(BackupReadsCliTest, AfterARestoreOnlyTheCurrentTimelinesBackupsServe) {
  StartFastServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  Put("t", "a", "1");
  Cut b1 = Backup();
  Put("t", "b", "2");
  Cut b2 = Backup();
  Put("t", "c", "3");
  Cut b3 = Backup();  // timeline 1 after the branch point below

  // Timeline 2 starts from backup 2.
  EXPECT_EQ(server_->Stop(), 0);
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(data_dir_ + "/meta.db" + suffix);
  server_addr_.clear();
  RunResult restore =
      Cairn({"restore", "--backup-storage", "fs://" + data_dir_ + "/backup", "--meta-store",
             "sqlite://" + data_dir_ + "/meta.db", "--object-store", "fs://" + data_dir_ + "/data",
             "--snapshot-id", std::to_string(b2.id)});
  ExpectOk(restore);
  EXPECT_NE(restore.out.find("timeline 2"), std::string::npos) << restore.out;
  StartServer();
  model_ = b2.model;
  Put("t", "d", "4");
  Cut b4 = Backup();
  Put("t", "e", "5");

  ExpectServed("t", {"--as-of", b1.after}, b1.model["t"], b1.id);
  ExpectServed("t", {"--as-of", b2.after}, b2.model["t"], b2.id);
  // b3's instant is on timeline 1 after the branch: timeline 2's history there is b2.
  ExpectServed("t", {"--as-of", b3.after}, b2.model["t"], b2.id);
  ExpectServed("t", {"--as-of", b4.after}, b4.model["t"], b4.id);
  ExpectError(Cairn({"scan", "t", "--backup", std::to_string(b3.id)}),
              "is not in this cluster's history");
  ExpectServed("t", {"--backup", std::to_string(b1.id)}, b1.model["t"], b1.id);
}

}  // namespace
}  // namespace cairn::testing
