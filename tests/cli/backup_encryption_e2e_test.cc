// Backup encryption through the real server and CLI (issue 17, docs/backup-format.md
// "Encryption"): encrypted backups and PITR restore only with their key, refused
// without it (or with another) before anything is written, key rotation, and no
// plaintext table key, value or key byte anywhere in backup storage.
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "cli_fixture.h"
#include "object_store/encryption_key.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

// Every file under `dir` with its size: what a refused command must leave unchanged.
std::map<std::string, uintmax_t> Files(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = e.file_size();
  }
  return out;
}

std::string Hex(const std::string& bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += std::string{digits[c >> 4], digits[c & 15]};
  return out;
}

std::string Base64(const std::string& bytes) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t j = 0; j < 3; ++j)
      v = v << 8 | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? kChars[(v >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

class BackupEncryptionTest : public CliTest {
 protected:
  // A key file of 32 random bytes (0600) outside dir_, so that greps of dir_ do not
  // find the file itself.
  std::string NewKey(const std::string& name) {
    std::random_device rd;
    std::string bytes;
    for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<char>(rd()));
    std::string path = keys_.Sub(name);
    WriteFile(path, bytes);
    key_bytes_[path] = bytes;
    return path;
  }
  std::string KeyId(const std::string& path) { return EncryptionKeyId(key_bytes_.at(path)); }

  void StartWithKeys(const std::string& key_files) {
    StartServer({"--backup-encryption-key-file", key_files});
  }
  void StopServer() {
    EXPECT_EQ(server_->Stop(), 0);
    server_addr_.clear();
  }
  uint64_t CreateBackup() {
    RunResult r = Cairn({"backup", "create"});
    ExpectOk(r);
    return std::stoull(r.out);
  }
  // `cairn server` on the data dir that must not start; its one error line.
  std::string StartFails(std::vector<std::string> extra) {
    std::vector<std::string> args = {kCairn,     "server",      "--data-dir",    data_dir_,
                                     "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r =
        RunProcess(args, "", {{"CAIRN_AUTH_TOKEN_FILE", ""}, {"CAIRN_BACKUP_KEY_FILE", ""}});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    return r.err;
  }
  void LoseMetaStore() {
    for (auto suffix : {"", "-wal", "-shm"}) fs::remove(data_dir_ + "/meta.db" + suffix);
  }
  // A refused restore: one error line holding `text`, and no file changed or created.
  void RestoreRefused(std::vector<std::string> extra, const std::string& text,
                      std::map<std::string, std::string> env = {}) {
    auto before = Files(dir_.path().string());
    ExpectError(Cairn(RestoreArgs(extra), "", env), text);
    EXPECT_EQ(Files(dir_.path().string()), before) << "a refused restore wrote something";
  }
  std::string Rows(const std::string& table) {
    RunResult r = Cairn({"scan", table});
    ExpectOk(r);
    return r.out;
  }
  // Every key's bytes raw, in hex and in base64.
  std::vector<std::string> KeyEncodings() {
    std::vector<std::string> out;
    for (const auto& [path, bytes] : key_bytes_) {
      out.insert(out.end(), {bytes, Hex(bytes, false), Hex(bytes, true), Base64(bytes)});
    }
    return out;
  }
  // The files under `dir` holding any of `needles`, as "file: needle" lines.
  static std::vector<std::string> Holding(const std::string& dir,
                                          const std::vector<std::string>& needles) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      std::string bytes = ReadFile(e.path().string());
      for (const auto& needle : needles) {
        if (bytes.find(needle) != std::string::npos) {
          out.push_back(e.path().string() + ": " + needle.substr(0, 24));
        }
      }
    }
    return out;
  }

  TempDir keys_;
  std::map<std::string, std::string> key_bytes_;
};

TEST(Base64Test, MatchesKnownVectors) {
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

// Backups and PITR with a key: restore needs it, refuses without it or with another
// key (nothing written), and the server refuses to start without it.
TEST_F(BackupEncryptionTest, RestoreNeedsTheKeyAndNothingIsWrittenWithout) {
  std::string key = NewKey("k1"), other = NewKey("other");
  StartWithKeys(key);
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"load", "t", "--rows", "2000", "--value-size", "40"}));
  uint64_t b1 = CreateBackup();
  std::string at_b1 = Rows("t");
  for (int i = 0; i < 10; ++i) ExpectOk(Cairn({"put", "t", "after-" + std::to_string(i), "v"}));
  std::string latest = Rows("t");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // archived
  StopServer();
  std::string entry =
      ReadFile(data_dir_ + "/backup/manifest/0000000000000000000" + std::to_string(b1) + ".json");
  EXPECT_NE(entry.find("\"key_id\": \"" + KeyId(key) + "\""), std::string::npos) << entry;

  // Without the key the server does not start, and changes nothing.
  auto before = Files(dir_.path().string());
  std::string refused = StartFails({});
  EXPECT_NE(refused.find("backup " + std::to_string(b1) + " is encrypted with key " + KeyId(key) +
                         "; pass its key file with --backup-encryption-key-file"),
            std::string::npos)
      << refused;
  EXPECT_NE(StartFails({"--backup-encryption-key-file", other}).find(KeyId(key)),
            std::string::npos);
  EXPECT_EQ(Files(dir_.path().string()), before);

  LoseMetaStore();
  std::string snapshot = std::to_string(b1);
  std::string missing = "backup " + snapshot + " is encrypted with key " + KeyId(key);
  RestoreRefused({"--snapshot-id", snapshot}, missing);
  RestoreRefused({"--snapshot-id", snapshot, "--backup-encryption-key-file", other}, missing);
  RestoreRefused({"--to-time", "latest"}, "is encrypted with key " + KeyId(key));
  RestoreRefused({"--to-time", "latest", "--backup-encryption-key-file", other},
                 "is encrypted with key " + KeyId(key));
  // Bad key files.
  std::string short_key = keys_.Sub("short");
  WriteFile(short_key, std::string(31, 'x'));
  RestoreRefused({"--to-time", "latest", "--backup-encryption-key-file", short_key},
                 "holds 31 bytes; it must hold exactly 32 random bytes");
  std::string open_key = keys_.Sub("open");
  WriteFile(open_key, std::string(32, 'x'));
  fs::permissions(open_key, fs::perms::others_read, fs::perm_options::add);
  RestoreRefused({"--to-time", "latest", "--backup-encryption-key-file", open_key},
                 "is accessible by other users (mode 0604)");
  RestoreRefused({"--to-time", "latest", "--backup-encryption-key-file", keys_.Sub("none")},
                 "cannot read backup encryption key file");
  EXPECT_NE(StartFails({"--backup-encryption-key-file", short_key}).find("holds 31 bytes"),
            std::string::npos);

  // With the key (here from the environment): PITR to latest, then the snapshot.
  ExpectOk(Cairn(RestoreArgs({"--to-time", "latest"}), "", {{"CAIRN_BACKUP_KEY_FILE", key}}));
  StartWithKeys(key);
  EXPECT_EQ(Rows("t"), latest);
  StopServer();
  LoseMetaStore();
  ExpectOk(Cairn(RestoreArgs({"--snapshot-id", snapshot, "--backup-encryption-key-file", key})));
  StartWithKeys(key);
  EXPECT_EQ(Rows("t"), at_b1);
  ExpectOk(Cairn({"backup", "verify", snapshot}));
}

// Rotation: restarted with the new key first and the old one listed, new backups use
// the new key and both restore; the new key alone is refused while the newest backup
// needs the old one.
TEST_F(BackupEncryptionTest, RotationKeepsOldBackupsReadable) {
  std::string k1 = NewKey("k1"), k2 = NewKey("k2");
  StartWithKeys(k1);
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "a", "1"}));
  uint64_t b1 = CreateBackup();
  std::string at_b1 = Rows("t");
  StopServer();
  EXPECT_NE(
      StartFails({"--backup-encryption-key-file", k2}).find("encrypted with key " + KeyId(k1)),
      std::string::npos);

  StartServer({"--backup-encryption-key-file", k2, "--backup-encryption-key-file", k1});
  ExpectOk(Cairn({"put", "t", "b", "2"}));
  uint64_t b2 = CreateBackup();
  std::string at_b2 = Rows("t");
  StopServer();
  std::string entry =
      ReadFile(data_dir_ + "/backup/manifest/0000000000000000000" + std::to_string(b2) + ".json");
  EXPECT_NE(entry.find("\"key_id\": \"" + KeyId(k2) + "\""), std::string::npos) << entry;
  // Now the new key alone starts the server.
  StartWithKeys(k2);
  StopServer();

  LoseMetaStore();
  RestoreRefused({"--snapshot-id", std::to_string(b2), "--backup-encryption-key-file", k1},
                 "backup " + std::to_string(b2) + " is encrypted with key " + KeyId(k2));
  RestoreRefused({"--snapshot-id", std::to_string(b1), "--backup-encryption-key-file", k2},
                 "backup " + std::to_string(b1) + " is encrypted with key " + KeyId(k1));
  for (auto [id, rows] : {std::pair{b1, at_b1}, std::pair{b2, at_b2}}) {
    LoseMetaStore();
    ExpectOk(Cairn(RestoreArgs(
        {"--snapshot-id", std::to_string(id), "--backup-encryption-key-file", k2 + "," + k1})));
    StartWithKeys(k2 + "," + k1);
    EXPECT_EQ(Rows("t"), rows) << "backup " << id;
    StopServer();
  }
}

// PITR across a rotation: the base snapshot and the first segments are sealed with the
// old key (set in the config file), later segments with the new one; the restore needs
// both and names the missing one.
TEST_F(BackupEncryptionTest, PointInTimeRestoreAcrossARotationNeedsBothKeys) {
  std::string k1 = NewKey("k1"), k2 = NewKey("k2");
  std::string config = keys_.Sub("cairn.toml");
  WriteFile(config,
            "data_dir = \"" + data_dir_ + "\"\nbackup_encryption_key_file = \"" + k1 + "\"\n");
  server_ = std::make_unique<ServerProcess>(kCairn, dir_.path().string());
  ASSERT_TRUE(server_->Start({"--config", config, "--listen", "127.0.0.1:0"},
                             {{"CAIRN_AUTH_TOKEN_FILE", ""}, {"CAIRN_BACKUP_KEY_FILE", ""}}))
      << server_->error();
  server_addr_ = server_->addr();
  ExpectOk(Cairn({"table", "create", "t"}));
  uint64_t b1 = CreateBackup();
  ExpectOk(Cairn({"put", "t", "old-key-era", "1"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // archived with k1
  StopServer();
  StartWithKeys(k2 + "," + k1);
  ExpectOk(Cairn({"put", "t", "new-key-era", "2"}));
  std::string latest = Rows("t");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // archived with k2
  StopServer();
  std::string entry =
      ReadFile(data_dir_ + "/backup/manifest/0000000000000000000" + std::to_string(b1) + ".json");
  EXPECT_NE(entry.find("\"key_id\": \"" + KeyId(k1) + "\""), std::string::npos) << entry;

  LoseMetaStore();
  RestoreRefused({"--to-time", "latest", "--backup-encryption-key-file", k1},
                 "is encrypted with key " + KeyId(k2));
  RestoreRefused({"--to-time", "latest", "--backup-encryption-key-file", k2},
                 "is encrypted with key " + KeyId(k1));
  ExpectOk(Cairn(RestoreArgs({"--to-time", "latest", "--backup-encryption-key-file", k1,
                              "--backup-encryption-key-file", k2})));
  StartWithKeys(k2 + "," + k1);
  EXPECT_EQ(Rows("t"), latest);
  EXPECT_NE(latest.find("new-key-era"), std::string::npos) << latest;
}

// What a thief of the backup storage sees: no table key or value, table or user name,
// and no key byte (raw, hex, base64) anywhere the server wrote or logged. The same
// workload without a key shows the needles, so the grep can find them.
TEST_F(BackupEncryptionTest, BackupStorageHoldsNoPlaintextAndNoKeyBytes) {
  const std::vector<std::string> needles = {"tbl-confidential", "row-key-zebra-0001",
                                            "row-key-zebra-0999", "user-mallory"};
  auto workload = [&] {
    ExpectOk(Cairn({"table", "create", "tbl-confidential"}));
    for (const char* key : {"row-key-zebra-0001", "row-key-zebra-0999"}) {
      ExpectOk(Cairn({"put", "tbl-confidential", key, "value-unicorn"}));
    }
    ExpectOk(Cairn({"flush"}));
    ExpectOk(Cairn({"user", "create", "user-mallory"}, "pw-mallory\n"));
    ExpectOk(Cairn({"backup", "create"}));
    ExpectOk(Cairn({"put", "tbl-confidential", "row-key-zebra-0500", "value-unicorn"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // archived
  };
  StartServer();
  workload();
  StopServer();
  EXPECT_FALSE(Holding(data_dir_ + "/backup", needles).empty())
      << "plaintext backups should show the needles (else this test proves nothing)";

  fs::remove_all(data_dir_);
  std::string key = NewKey("k");
  StartWithKeys(key);
  workload();
  RunResult json = Cairn({"backup", "list", "--json"});
  ExpectOk(json);
  RunResult params = Cairn({"param", "list"});
  ExpectOk(params);
  StopServer();
  EXPECT_EQ(Holding(data_dir_ + "/backup", needles), std::vector<std::string>{});
  EXPECT_EQ(Holding(dir_.path().string(), KeyEncodings()), std::vector<std::string>{});
  for (const auto& encoded : KeyEncodings()) {
    EXPECT_EQ(json.out.find(encoded), std::string::npos);
    EXPECT_EQ(params.out.find(encoded), std::string::npos);
  }
  size_t encrypted = 0;
  for (const auto& e : fs::recursive_directory_iterator(data_dir_ + "/backup")) {
    std::string rel = fs::relative(e.path(), data_dir_ + "/backup").string();
    if (!e.is_regular_file() || !(rel.starts_with("snapshots/") || rel.starts_with("changelog/")))
      continue;
    EXPECT_EQ(ReadFile(e.path().string()).rfind("CAIRNENC", 0), 0u) << rel;
    ++encrypted;
  }
  EXPECT_GE(encrypted, 2u);
}

// A flipped byte in an encrypted snapshot: Corruption naming the file, nothing written.
TEST_F(BackupEncryptionTest, DamagedEncryptedSnapshotIsCorruptionNamingIt) {
  std::string key = NewKey("k");
  StartWithKeys(key);
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "a", "1"}));
  uint64_t b1 = CreateBackup();
  StopServer();
  LoseMetaStore();
  std::string file = data_dir_ + "/backup/snapshots/" + std::to_string(b1) + ".snap";
  std::string bytes = ReadFile(file);
  bytes[bytes.size() / 2] ^= 0x04;
  WriteFile(file, bytes);
  RestoreRefused({"--snapshot-id", std::to_string(b1), "--backup-encryption-key-file", key},
                 "encrypted object 'snapshots/" + std::to_string(b1) + ".snap'");
  WriteFile(file, bytes.substr(0, bytes.size() - 20));
  RestoreRefused({"--snapshot-id", std::to_string(b1), "--backup-encryption-key-file", key},
                 "snapshots/" + std::to_string(b1) + ".snap");
}

}  // namespace
}  // namespace cairn::testing
