// Security end to end (docs/server.md "Auth", "TLS", "Private files and secrets"):
// every RPC against the authorization table, bad credentials, TLS with a throwaway CA
// made here with the openssl CLI, file modes, and a grep of every byte the server
// wrote for the secrets it was given.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

const char* const kToken = "admin-t0ken-9f3e1c";
const char* const kReadPw = "read-pw-7c1d2a";
const char* const kWritePw = "write-pw-3b8e5f";

class SecurityTest : public CliTest {
 protected:
  // Secrets live outside dir_ so that the grep of everything the server wrote (dir_)
  // does not find the files they came from.
  std::string Secret(const std::string& name, const std::string& text) {
    std::string path = secrets_.Sub(name);
    WriteFile(path, text + "\n");
    return path;
  }
  void StartWithUsers() {
    token_ = Secret("token", kToken);
    StartServer({"--auth-token-file", token_});
    read_pw_ = Secret("read.pw", kReadPw);
    write_pw_ = Secret("write.pw", kWritePw);
    ExpectOk(Cairn(
        {"user", "create", "reader", "--password-file", read_pw_, "--auth-token-file", token_}));
    ExpectOk(Cairn(
        {"user", "create", "writer", "--password-file", write_pw_, "--auth-token-file", token_}));
    ExpectOk(Cairn({"user", "grant", "writer", "write", "--auth-token-file", token_}));
  }
  std::vector<std::string> As(const std::string& cred) {
    if (cred == "admin") return {"--auth-token-file", token_};
    if (cred == "read") return {"--user", "reader", "--password-file", read_pw_};
    if (cred == "write") return {"--user", "writer", "--password-file", write_pw_};
    return {};
  }
  // The credential goes before the subcommand: `user create` has a --password-file of
  // its own (the new user's).
  RunResult CairnAs(const std::string& cred, std::vector<std::string> args) {
    std::vector<std::string> argv = As(cred);
    argv.insert(argv.end(), args.begin(), args.end());
    return Cairn(argv);
  }
  // Exactly one `error: permission denied...` line, exit 1.
  void ExpectDenied(const RunResult& r) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: permission denied", 0), 0u) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }

  TempDir secrets_;
  std::string token_, read_pw_, write_pw_;
};

// RPC -> needed privilege, from the first table of docs/server.md's "Auth" section.
std::map<std::string, std::string> DocumentedTable() {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/docs/server.md");
  std::string line;
  std::map<std::string, std::string> table;
  std::regex row(R"(^\| `([A-Za-z]+\.[A-Za-z]+)` \| (read|write|admin) \|)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, row)) table[m[1]] = m[2];
  }
  return table;
}

TEST_F(SecurityTest, EveryRpcMatchesTheDocumentedTable) {
  StartWithUsers();
  const std::vector<std::string> creds = {"none", "read", "write", "admin"};
  // Setup: per-credential targets, so that an allowed mutation never breaks the next.
  ExpectOk(CairnAs("admin", {"table", "create", "t"}));
  ExpectOk(CairnAs("admin", {"put", "t", "k", "v"}));
  std::string victim_pw = Secret("victim.pw", "victim-pw");
  std::map<std::string, std::string> backup_id;
  for (const auto& c : creds) {
    ExpectOk(CairnAs("admin", {"table", "create", "drop_" + c}));
    ExpectOk(CairnAs("admin", {"user", "create", "victim_" + c, "--password-file", victim_pw}));
    RunResult b = CairnAs("admin", {"backup", "create", "--json"});
    ExpectOk(b);
    backup_id[c] = std::to_string(nlohmann::json::parse(b.out)["id"].get<uint64_t>());
  }
  const std::string shown = backup_id["none"];
  std::string new_pw = Secret("new.pw", "new-user-pw");
  struct Rpc {
    std::string name;
    std::function<std::vector<std::string>(const std::string& cred)> args;
  };
  auto fixed = [](std::vector<std::string> a) { return [a](const std::string&) { return a; }; };
  std::vector<Rpc> rpcs = {
      {"Tables.List", fixed({"table", "list"})},
      {"Tables.Create",
       [](auto& c) {
         return std::vector<std::string>{"table", "create", "new_" + c};
       }},
      {"Tables.Drop",
       [](auto& c) {
         return std::vector<std::string>{"table", "drop", "drop_" + c};
       }},
      {"Kv.Put", fixed({"put", "t", "k", "v"})},
      {"Kv.Get", fixed({"get", "t", "k"})},
      {"Kv.Scan", fixed({"scan", "t"})},
      {"Kv.Write", fixed({"load", "t", "--rows", "5"})},
      {"Kv.Delete",
       [](auto& c) {
         return std::vector<std::string>{"delete", "t", "gone_" + c};
       }},
      {"Admin.Status", fixed({"status"})},
      {"Admin.Flush", fixed({"flush"})},
      {"Admin.Compact", fixed({"compact"})},
      {"Admin.Vacuum", fixed({"vacuum", "--dry-run"})},
      {"Params.Get", fixed({"param", "get", "pitr_retention"})},
      {"Params.List", fixed({"param", "list"})},
      {"Params.Set", fixed({"param", "set", "pitr_retention", "1h"})},
      {"Users.List", fixed({"user", "list"})},
      {"Users.Create",
       [&](auto& c) {
         return std::vector<std::string>{"user", "create", "new_" + c, "--password-file", new_pw};
       }},
      {"Users.Grant", fixed({"user", "grant", "victim_none", "read"})},
      {"Users.Drop",
       [](auto& c) {
         return std::vector<std::string>{"user", "drop", "victim_" + c};
       }},
      {"Backups.Create", fixed({"backup", "create"})},
      {"Backups.List", fixed({"backup", "list"})},
      {"Backups.Show", fixed({"backup", "show", shown})},
      {"Backups.Verify", fixed({"backup", "verify", shown})},
      {"Backups.Delete",
       [&](auto& c) {
         return std::vector<std::string>{"backup", "delete", backup_id[c]};
       }},
      {"Backups.SetSchedule", fixed({"backup", "schedule", "set", "--every", "1h"})},
      {"Backups.ShowSchedule", fixed({"backup", "schedule", "show"})},
      {"Backups.ClearSchedule", fixed({"backup", "schedule", "clear"})},
  };
  std::map<std::string, std::string> observed;
  for (const Rpc& rpc : rpcs) {
    std::string lowest;  // the first credential allowed
    for (const auto& c : creds) {
      RunResult r = CairnAs(c, rpc.args(c));
      bool denied = r.err.find("permission denied") != std::string::npos;
      if (!lowest.empty() || !denied) {
        // Allowed: it must then succeed, and so must every stronger credential.
        EXPECT_EQ(r.exit_code, 0) << rpc.name << " as " << c << ": " << r.err;
        if (lowest.empty()) lowest = c;
      } else {
        ExpectDenied(r);
      }
    }
    observed[rpc.name] = lowest;
  }
  EXPECT_EQ(observed, DocumentedTable());

  // Denied mutations changed nothing; the allowed ones happened.
  RunResult tables = CairnAs("admin", {"table", "list"});
  for (const char* t : {"drop_none", "drop_read"}) {
    EXPECT_NE(tables.out.find(t), std::string::npos) << tables.out;
  }
  for (const char* t : {"new_none", "new_read", "drop_write", "drop_admin"}) {
    EXPECT_EQ(tables.out.find(t), std::string::npos) << tables.out;
  }
  RunResult users = CairnAs("admin", {"user", "list"});
  EXPECT_EQ(users.out, "new_admin\nreader\nvictim_none\nvictim_read\nvictim_write\nwriter\n");
  EXPECT_EQ(CairnAs("admin", {"param", "get", "pitr_retention"}).out, "1h\n");
}

TEST_F(SecurityTest, BadCredentialsAreRefusedAndTheServerKeepsServing) {
  StartWithUsers();
  ExpectOk(CairnAs("admin", {"table", "create", "t"}));
  std::string wrong_pw = Secret("wrong.pw", "not-it");
  ExpectDenied(Cairn({"put", "t", "k", "v", "--user", "writer", "--password-file", wrong_pw}));
  RunResult unknown =
      Cairn({"put", "t", "k", "v", "--user", "ghost", "--password-file", write_pw_});
  ExpectDenied(unknown);
  RunResult wrong = Cairn({"get", "t", "k", "--user", "reader", "--password-file", wrong_pw});
  EXPECT_EQ(unknown.err, wrong.err);  // an unknown user and a wrong password look alike
  ExpectDenied(CairnAs("read", {"put", "t", "k", "v"}));
  std::string other_token = Secret("other-token", "not-the-admin-token");
  ExpectDenied(Cairn({"put", "t", "k", "v", "--auth-token-file", other_token}));
  // Env credentials work like the flags.
  ExpectOk(Cairn({"put", "t", "k", "v1"}, "",
                 {{"CAIRN_USER", "writer"}, {"CAIRN_PASSWORD_FILE", write_pw_}}));
  // A password file others can read is refused before connecting.
  std::string open_pw = secrets_.Sub("open.pw");
  std::ofstream(open_pw) << kWritePw << "\n";
  fs::permissions(open_pw, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  ExpectError(Cairn({"get", "t", "k", "--user", "writer", "--password-file", open_pw}),
              "accessible by other users (mode 0604); run: chmod 600");
  // Nothing changed by the refused calls, and the server still serves.
  EXPECT_EQ(CairnAs("read", {"get", "t", "k"}).out, "v1\n");

  // Token rotated: restart with a new token; the old one no longer works.
  EXPECT_EQ(server_->Stop(), 0);
  std::string rotated = Secret("token2", "rotated-t0ken-5a5a");
  StartServer({"--auth-token-file", rotated});
  ExpectDenied(CairnAs("admin", {"table", "list"}));
  ExpectOk(Cairn({"table", "list", "--auth-token-file", rotated}));
  ExpectOk(CairnAs("read", {"table", "list"}));  // users are unaffected
}

TEST_F(SecurityTest, SecretFilesAndUrlsAreRefusedAtStart) {
  auto start_fails = [&](std::vector<std::string> args, const std::string& text) {
    std::vector<std::string> argv = {kCairn, "server", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = RunProcess(argv, "", {{"CAIRN_AUTH_TOKEN_FILE", ""}});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  };
  std::string token = secrets_.Sub("open-token");
  std::ofstream(token) << "hunter2-token\n";
  fs::permissions(token, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                             fs::perms::others_read);
  start_fails({"--data-dir", data_dir_, "--auth-token-file", token},
              "auth token file " + token + " is accessible by other users (mode 0644)");
  std::string config = secrets_.Sub("open.toml");
  std::ofstream(config) << "data_dir = \"" << data_dir_ << "\"\n";
  fs::permissions(config, fs::perms::owner_all | fs::perms::others_read);
  start_fails({"--config", config}, "config file " + config + " is accessible by other users");
  start_fails({"--meta-store", "postgres://cairn:hunter2@127.0.0.1/db", "--object-store",
               "fs://" + dir_.Sub("o")},
              "put it in PGPASSWORD or ~/.pgpass");
  start_fails({"--data-dir", data_dir_, "--backup-storage",
               "s3://bucket/p?endpoint=http://key:hunter2@127.0.0.1:9000"},
              "--backup-storage holds a credential");
  RunResult restore =
      RunProcess({kCairn, "restore", "--backup-storage", "fs://" + dir_.Sub("b"), "--meta-store",
                  "postgres://u:hunter2@127.0.0.1/db", "--object-store", "fs://" + dir_.Sub("o"),
                  "--to-time", "latest"});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("PGPASSWORD"), std::string::npos) << restore.err;
  EXPECT_FALSE(fs::exists(data_dir_ + "/meta.db"));
}

// Mode bits of everything under `root` that are not 0600 files / 0700 directories.
std::vector<std::string> NotPrivate(const std::string& root) {
  std::vector<std::string> out;
  auto check = [&](const fs::path& p) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) return;
    unsigned mode = st.st_mode & 07777;
    if ((S_ISDIR(st.st_mode) && mode != 0700) || (S_ISREG(st.st_mode) && mode != 0600)) {
      out.push_back(p.string() + " " + std::to_string(mode));
    }
  };
  check(root);
  for (const auto& entry : fs::recursive_directory_iterator(root)) check(entry.path());
  return out;
}

TEST_F(SecurityTest, FilesArePrivateAndHoldNoSecrets) {
  mode_t saved = umask(0);  // the server must not depend on its caller's umask
  StartWithUsers();
  umask(saved);
  ExpectOk(CairnAs("write", {"table", "create", "t"}));
  ExpectOk(CairnAs("write", {"load", "t", "--rows", "50"}));
  ExpectOk(CairnAs("admin", {"backup", "create"}));
  ExpectOk(CairnAs("read", {"scan", "t"}));
  // Reads served from a backup follow the read rules (docs/server.md, Kv.Scan).
  RunResult from_backup = CairnAs("read", {"scan", "t", "--backup", "1"});
  ExpectOk(from_backup);
  EXPECT_EQ(Lines(from_backup.out).size(), 50u);
  ExpectDenied(CairnAs("", {"scan", "t", "--backup", "1"}));
  ExpectDenied(CairnAs("", {"get", "t", "k", "--backup", "1"}));
  // Credentials in a param are refused and never stored.
  ExpectError(CairnAs("admin", {"param", "set", "backup_storage_url",
                                "s3://b/p?endpoint=http://AKIA:" + std::string(kWritePw) +
                                    "@127.0.0.1:9000"}),
              "holds a credential");
  ExpectOk(CairnAs("admin", {"flush"}));
  EXPECT_EQ(server_->Stop(), 0);

  EXPECT_EQ(NotPrivate(data_dir_), std::vector<std::string>{});
  // Every byte the server wrote: meta store, SSTs, backups, changelog, its logs.
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    std::string bytes = ReadFile(entry.path().string());
    for (const char* secret : {kToken, kReadPw, kWritePw}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << entry.path();
    }
  }
}

// A throwaway CA, a server certificate for 127.0.0.1, a client certificate, and a
// second CA that signed none of them.
class TlsTest : public SecurityTest {
 protected:
  void SetUp() override {
    auto openssl = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"/usr/bin/env", "openssl"});
      RunResult r = RunProcess(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    auto file = [&](const std::string& name) { return secrets_.Sub(name); };
    WriteFile(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    for (const char* ca : {"ca", "other-ca"}) {
      openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file(ca) + ".key",
               "-out", file(ca) + ".pem", "-days", "1", "-subj", std::string("/CN=") + ca});
    }
    for (const char* leaf : {"server", "client"}) {
      openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", file(leaf) + ".key", "-out",
               file(leaf) + ".csr", "-subj", "/CN=localhost"});
      openssl({"x509", "-req", "-in", file(leaf) + ".csr", "-CA", file("ca.pem"), "-CAkey",
               file("ca.key"), "-CAcreateserial", "-out", file(leaf) + ".pem", "-days", "1",
               "-extfile", file("san.ext")});
      fs::permissions(file(leaf) + ".key", fs::perms::owner_read | fs::perms::owner_write);
    }
  }
  std::string F(const std::string& name) { return secrets_.Sub(name); }
};

TEST_F(TlsTest, ClientsNeedTheRightCa) {
  token_ = Secret("token", kToken);
  StartServer(
      {"--auth-token-file", token_, "--tls-cert", F("server.pem"), "--tls-key", F("server.key")});
  ExpectOk(Cairn({"table", "create", "t", "--auth-token-file", token_, "--tls-ca", F("ca.pem")}));
  ExpectOk(Cairn({"put", "t", "k", "v", "--auth-token-file", token_}, "",
                 {{"CAIRN_TLS_CA", F("ca.pem")}}));
  RunResult wrong_ca =
      Cairn({"put", "t", "k", "x", "--auth-token-file", token_, "--tls-ca", F("other-ca.pem")});
  ExpectError(wrong_ca, "certificate verify failed");
  EXPECT_EQ(Lines(wrong_ca.err).size(), 1u) << wrong_ca.err;
  RunResult plaintext = Cairn({"put", "t", "k", "x", "--auth-token-file", token_});
  ExpectError(plaintext, "cannot reach cairn server");
  EXPECT_EQ(Lines(plaintext.err).size(), 1u) << plaintext.err;
  // Nothing changed, and the server still serves.
  EXPECT_EQ(Cairn({"get", "t", "k", "--auth-token-file", token_, "--tls-ca", F("ca.pem")}).out,
            "v\n");
}

TEST_F(TlsTest, ClientCertificatesWhenTheServerHasACa) {
  StartServer(
      {"--tls-cert", F("server.pem"), "--tls-key", F("server.key"), "--tls-ca", F("ca.pem")});
  ExpectError(Cairn({"table", "list", "--tls-ca", F("ca.pem")}), "cannot reach cairn server");
  ExpectOk(Cairn({"table", "list", "--tls-ca", F("ca.pem"), "--tls-client-cert", F("client.pem"),
                  "--tls-client-key", F("client.key")}));
}

TEST_F(TlsTest, AnOpenKeyFileIsRefused) {
  fs::permissions(F("server.key"), fs::perms::others_read, fs::perm_options::add);
  RunResult r = RunProcess({kCairn, "server", "--data-dir", data_dir_, "--listen", "127.0.0.1:0",
                            "--tls-cert", F("server.pem"), "--tls-key", F("server.key")},
                           "", {{"CAIRN_AUTH_TOKEN_FILE", ""}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: TLS key file " + F("server.key") + " is accessible by other"),
            std::string::npos)
      << r.err;
}

TEST_F(SecurityTest, PlaintextOffLoopbackIsWarnedAbout) {
  ServerProcess server(kCairn, dir_.path().string());
  ASSERT_TRUE(server.Start({"--data-dir", data_dir_, "--listen", "0.0.0.0:0"},
                           {{"CAIRN_AUTH_TOKEN_FILE", ""}}))
      << server.error();
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_NE(server.log().find("listening on 0.0.0.0:0 without TLS"), std::string::npos)
      << server.log();
}

}  // namespace
}  // namespace cairn::testing
