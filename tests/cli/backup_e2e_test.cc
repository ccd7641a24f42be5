// Backup and restore through the real CLI and server (issue 6 scenario): backups taken
// while the cluster changes restore to exactly their cut, after the meta store is lost.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

class BackupCliTest : public CliTest {
 protected:
  // Every table's rows, the table list, users and params, as the CLI prints them.
  std::map<std::string, std::string> Dump() {
    std::map<std::string, std::string> state = DumpTables();
    for (auto what : {"user", "param"}) {
      RunResult r = Cairn({what, "list"});
      ExpectOk(r);
      state[what] = r.out;
    }
    return state;
  }

  std::string FirstKey(const std::string& table) {
    std::string row = Cairn({"scan", table, "--limit", "1"}).out;
    return row.substr(0, row.find('\t'));
  }

  uint64_t CreateBackup(const std::string& remarks) {
    RunResult r = Cairn({"backup", "create", "--remarks", remarks});
    ExpectOk(r);
    return std::stoull(r.out);
  }

  // Stops the server, deletes the meta store, restores `id`, starts the server again.
  void LoseMetaStoreAndRestore(uint64_t id) {
    EXPECT_EQ(server_->Stop(), 0);
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(data_dir_ + "/meta.db" + suffix);
    server_addr_.clear();
    RunResult r = Cairn(RestoreArgs({"--snapshot-id", std::to_string(id)}));
    ExpectOk(r);
    EXPECT_NE(r.out.find("restored snapshot " + std::to_string(id)), std::string::npos) << r.out;
    StartServer();
  }
};

TEST_F(BackupCliTest, RestoreAfterLosingTheMetaStoreReproducesEachBackup) {
  StartServer();
  for (std::string t : {"1", "2", "3"}) {
    ExpectOk(Cairn({"table", "create", "t" + t}));
    ExpectOk(Cairn({"load", "t" + t, "--rows", "34000", "--value-size", "20", "--seed", t}));
  }
  ExpectOk(Cairn({"user", "create", "alice"}, "alice-pw\n"));
  auto at_backup1 = Dump();
  uint64_t b1 = CreateBackup("three tables");

  // Writes, deletes, a dropped table, a new user, a param change, compaction, vacuum.
  ExpectOk(Cairn({"put", "t1", "new-key", "new-value"}));
  ExpectOk(Cairn({"delete", "t2", FirstKey("t2")}));
  ExpectOk(Cairn({"table", "drop", "t3"}));
  ExpectOk(Cairn({"user", "create", "bob"}, "bob-pw\n"));
  ExpectOk(Cairn({"param", "set", "vacuum_min_age", "30s"}));
  ExpectOk(Cairn({"compact"}));
  ExpectOk(Cairn({"vacuum", "--full"}));
  auto at_backup2 = Dump();
  uint64_t b2 = CreateBackup("after changes");
  EXPECT_NE(at_backup1, at_backup2);

  ExpectOk(Cairn({"table", "create", "t4"}));
  ExpectOk(Cairn({"put", "t4", "k", "v"}));
  RunResult verify = Cairn({"backup", "verify", std::to_string(b1)});
  ExpectOk(verify);
  RunResult list = Cairn({"backup", "list", "--json"});
  ExpectOk(list);
  EXPECT_NE(list.out.find("\"after changes\""), std::string::npos) << list.out;

  LoseMetaStoreAndRestore(b1);
  EXPECT_EQ(Dump(), at_backup1);
  LoseMetaStoreAndRestore(b2);
  EXPECT_EQ(Dump(), at_backup2);
  // The restored cluster keeps working and never reuses an object id: new writes land.
  ExpectOk(Cairn({"put", "t1", "after-restore", "x"}));
  ExpectOk(Cairn({"flush"}));
  EXPECT_EQ(Cairn({"get", "t1", "after-restore"}).out, "x\n");
}

// Every file under `dir`, with its size: what a refused command must leave unchanged.
std::map<std::string, uintmax_t> Files(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = e.file_size();
  }
  return out;
}

// Issue #11 scenario 1: the meta store is lost and the server is restarted on the same
// data dir (by the operator or systemd). It used to start a new cluster whose first
// checkpoint overwrote data/0000000000000001.sst, so backup 1 restored to 0 rows.
TEST_F(BackupCliTest, ServerRefusesALostMetaStoreAndTheRestoreKeepsEveryRow) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"load", "t", "--rows", "20000", "--value-size", "16"}));
  std::string rows = Cairn({"scan", "t"}).out;
  ASSERT_EQ(Lines(rows).size(), 20000u);
  uint64_t b1 = CreateBackup("before the disaster");
  EXPECT_EQ(server_->Stop(), 0);
  server_addr_.clear();
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(data_dir_ + "/meta.db" + suffix);

  auto before = Files(data_dir_);
  ServerProcess restarted(kCairn, dir_.path().string());
  EXPECT_FALSE(restarted.Start({"--data-dir", data_dir_, "--listen", "127.0.0.1:0"},
                               {{"CAIRN_AUTH_TOKEN_FILE", ""}}));
  EXPECT_NE(restarted.error().find("exited with code 1"), std::string::npos) << restarted.error();
  EXPECT_NE(
      restarted.error().find("error: object store fs://" + data_dir_ + "/data belongs to cluster"),
      std::string::npos)
      << restarted.error();
  EXPECT_NE(restarted.error().find("cairn restore --backup-storage fs://" + data_dir_ + "/backup"),
            std::string::npos)
      << restarted.error();
  EXPECT_EQ(Files(data_dir_), before) << "a refused start changed the data dir";

  RunResult restore = Cairn(RestoreArgs({"--snapshot-id", std::to_string(b1)}));
  ExpectOk(restore);
  StartServer();
  EXPECT_EQ(Cairn({"scan", "t"}).out, rows);
  ExpectOk(Cairn({"backup", "verify", std::to_string(b1), "--deep"}));
}

// A damaged or future identity object: the server and restore refuse with one line and
// change nothing.
TEST_F(BackupCliTest, DamagedOrFutureIdentityIsRefusedAndNothingChanges) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "k", "v"}));
  uint64_t b1 = CreateBackup("");
  EXPECT_EQ(server_->Stop(), 0);
  server_addr_.clear();
  std::string identity = data_dir_ + "/data/cluster/identity.json";
  ASSERT_TRUE(std::filesystem::exists(identity));
  for (auto [bytes, text] :
       {std::pair<std::string, std::string>{"{ not json", "is damaged"},
        {R"({"format_version": 99, "cluster_id": "x", "created_ms": 1})", "format version 99"}}) {
    WriteFile(identity, bytes);
    auto before = Files(data_dir_);
    ServerProcess server(kCairn, dir_.path().string());
    EXPECT_FALSE(server.Start({"--data-dir", data_dir_, "--listen", "127.0.0.1:0"},
                              {{"CAIRN_AUTH_TOKEN_FILE", ""}}));
    EXPECT_NE(server.error().find("exited with code 1"), std::string::npos) << server.error();
    EXPECT_NE(server.error().find(text), std::string::npos) << server.error();
    std::string target = "sqlite://" + dir_.Sub("elsewhere.db");
    auto args = RestoreArgs({"--snapshot-id", std::to_string(b1)});
    args[4] = target;
    ExpectError(Cairn(args), text);
    EXPECT_EQ(Files(data_dir_), before);
    EXPECT_FALSE(std::filesystem::exists(dir_.Sub("elsewhere.db")));
  }
}

TEST_F(BackupCliTest, BadInputChangesNothing) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "k", "v"}));
  uint64_t b1 = CreateBackup("");
  ExpectError(Cairn({"backup", "show", "77"}), "backup 77 does not exist");
  ExpectError(Cairn({"backup", "delete", "77"}), "backup 77 does not exist");
  ExpectError(Cairn({"backup", "verify", "abc"}), "positive number");
  // The server is live: restore refuses to touch its object store.
  std::string target = "sqlite://" + dir_.Sub("other.db");
  auto args = RestoreArgs({"--snapshot-id", std::to_string(b1)});
  args[4] = target;
  ExpectError(Cairn(args), "in use by another cairn server");
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("other.db"))) << "a refused restore made a file";
  EXPECT_EQ(server_->Stop(), 0);
  server_addr_.clear();
  // Into the live cluster's own (non-empty) meta store.
  ExpectError(Cairn(RestoreArgs({"--snapshot-id", std::to_string(b1)})), "not empty");
  ExpectError(Cairn(RestoreArgs({"--snapshot-id", "42"})), "snapshot 42 is not in the manifest");
  // Usage errors exit 2: no target, two targets.
  EXPECT_EQ(Cairn(RestoreArgs({})).exit_code, 2);
  EXPECT_EQ(Cairn(RestoreArgs({"--snapshot-id", "1", "--to-epoch", "5"})).exit_code, 2);
  // A corrupt manifest is named; the dry run into an empty store writes nothing.
  std::string manifest = data_dir_ + "/backup/manifest.json";
  std::string good = ReadFile(manifest);
  WriteFile(manifest, "{ not json");
  ExpectError(Cairn(args), "manifest.json");
  WriteFile(manifest, good);
  RunResult dry = Cairn([&] {
    auto a = args;
    a.push_back("--dry-run");
    return a;
  }());
  ExpectOk(dry);
  EXPECT_NE(dry.out.find("dry run"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("other.db"))) << "the dry run made a file";
  // The dry run wrote nothing: the real restore into the same target succeeds.
  ExpectOk(Cairn(args));
  ExpectError(Cairn(args), "not empty");
}

// The number after `"field": ` in the CLI's pretty-printed JSON (0 when absent).
uint64_t JsonNumber(const std::string& json, const std::string& field) {
  size_t at = json.find("\"" + field + "\": ");
  return at == std::string::npos ? 0 : std::stoull(json.substr(at + field.size() + 4));
}

TEST_F(BackupCliTest, DeepVerifyReadsEverySstAndNamesADamagedOne) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"load", "t", "--rows", "3000", "--value-size", "100"}));
  uint64_t b1 = CreateBackup("deep");
  RunResult show = Cairn({"backup", "show", std::to_string(b1), "--json"});
  ExpectOk(show);
  uint64_t ssts = JsonNumber(show.out, "sst_count");
  ASSERT_GT(ssts, 0u) << show.out;

  RunResult deep = Cairn({"backup", "verify", std::to_string(b1), "--deep", "--json"});
  ExpectOk(deep);
  EXPECT_NE(deep.out.find("\"deep\": true"), std::string::npos) << deep.out;
  EXPECT_EQ(JsonNumber(deep.out, "ssts_checked"), ssts) << deep.out;
  EXPECT_GE(JsonNumber(deep.out, "bytes_read"), JsonNumber(show.out, "sst_bytes")) << deep.out;

  // One flipped byte inside the first data block of one SST: same size, so only --deep
  // notices.
  std::string victim;
  for (const auto& file : std::filesystem::directory_iterator(data_dir_ + "/data/data")) {
    if (file.path().extension() == ".sst") victim = file.path().string();
  }
  ASSERT_FALSE(victim.empty());
  std::string bytes = ReadFile(victim);
  bytes[10] ^= 0x20;
  WriteFile(victim, bytes);
  RunResult plain = Cairn({"backup", "verify", std::to_string(b1)});
  ExpectOk(plain);
  EXPECT_EQ(plain.out.rfind("backup " + std::to_string(b1) + " ok: ", 0), 0u) << plain.out;
  RunResult damaged = Cairn({"backup", "verify", std::to_string(b1), "--deep", "--json"});
  ExpectError(damaged, std::filesystem::path(victim).filename().string());
  EXPECT_NE(damaged.err.find("block at offset 0"), std::string::npos) << damaged.err;
  EXPECT_EQ(Lines(damaged.err).size(), 1u) << damaged.err;
  EXPECT_TRUE(damaged.out.empty()) << damaged.out;
}

}  // namespace
}  // namespace cairn::testing

namespace cairn::testing {
namespace {

// RPO (issue 8): the server is killed with SIGKILL and its meta store deleted; restore
// to "latest" from backup storage alone brings back every write acknowledged more than
// one checkpoint interval (plus one archiver pass) before the kill.
TEST_F(BackupCliTest, KillAndLoseMetaStoreThenRestoreToLatest) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"user", "create", "dave"}, "pw\n"));
  uint64_t b1 = CreateBackup("base");
  EXPECT_GT(b1, 0u);
  for (int i = 0; i < 20; ++i) ExpectOk(Cairn({"put", "t", "k" + std::to_string(i), "v"}));
  ExpectOk(Cairn({"table", "create", "after_backup"}));
  ExpectOk(Cairn({"put", "after_backup", "x", "y"}));
  // Two checkpoint intervals (1 s default): the archiver has shipped everything above.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  RunResult list = Cairn({"backup", "list"});
  ExpectOk(list);
  EXPECT_NE(list.out.find("# recoverable range: "), std::string::npos) << list.out;

  kill(server_->pid(), SIGKILL);
  server_->Stop();
  server_addr_.clear();
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(data_dir_ + "/meta.db" + suffix);
  // The dead server's lease has not expired yet: refused without --force.
  ExpectError(Cairn(RestoreArgs({"--to-time", "latest"})), "in use by another cairn server");
  RunResult restored = Cairn(RestoreArgs({"--to-time", "latest", "--force"}));
  ExpectOk(restored);
  EXPECT_NE(restored.out.find("from snapshot " + std::to_string(b1)), std::string::npos)
      << restored.out;

  StartServer();
  RunResult rows = Cairn({"scan", "t"});
  ExpectOk(rows);
  EXPECT_EQ(Lines(rows.out).size(), 20u) << rows.out;
  EXPECT_EQ(Cairn({"get", "after_backup", "x"}).out, "y\n");
  EXPECT_NE(Cairn({"user", "list"}).out.find("dave"), std::string::npos);
}

}  // namespace
}  // namespace cairn::testing
