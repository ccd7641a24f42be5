// End-to-end: `cairn server` on port 0 with a temp data dir, driven only through the
// `cairn` CLI binary (design.md §7 output contract).
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

TEST_F(CliTest, HelpVersionAndUsageErrors) {
  RunResult help = Cairn({"--help"});
  ExpectOk(help);
  for (const char* cmd : {"server", "table", "put", "scan", "load", "param", "user", "backup",
                          "restore", "vacuum", "status"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  }
  RunResult version = Cairn({"--version"});
  ExpectOk(version);
  EXPECT_EQ(version.out, "cairn 0.1.0\n");
  RunResult unknown = Cairn({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("Usage"), std::string::npos) << unknown.err;
  EXPECT_TRUE(unknown.out.empty());
  EXPECT_EQ(Cairn({"table"}).exit_code, 2);
  EXPECT_EQ(Cairn({"put", "t", "k"}).exit_code, 2);
  EXPECT_EQ(Cairn({"load", "t", "--rows", "many"}).exit_code, 2);
  ExpectError(Cairn({"backup", "list"}), "cannot reach cairn server");
  // restore needs the object store to verify SSTs: a usage error without it.
  EXPECT_EQ(Cairn({"restore", "--backup-storage", "fs:///x", "--meta-store", "sqlite:///y",
                   "--snapshot-id", "1"})
                .exit_code,
            2);
}

TEST_F(CliTest, UnreachableServerIsAClearError) {
  std::string addr = "127.0.0.1:" + std::to_string(FreePort());
  RunResult r = RunProcess({kCairn, "table", "list", "--addr", addr});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("error: cannot reach cairn server at " + addr, 0), 0u) << r.err;
  RunResult env = RunProcess({kCairn, "status"}, "", {{"CAIRN_ADDR", addr}});
  EXPECT_NE(env.err.find("cannot reach cairn server at " + addr), std::string::npos) << env.err;
}

TEST_F(CliTest, TablesKeysAndScan) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t1"}));
  ExpectError(Cairn({"table", "create", "t1"}), "t1");
  ExpectOk(Cairn({"table", "create", "t2"}));
  RunResult list = Cairn({"table", "list"});
  ExpectOk(list);
  auto lines = Lines(list.out);
  ASSERT_EQ(lines.size(), 2u) << list.out;
  EXPECT_NE(lines[0].find("\tt1"), std::string::npos);
  EXPECT_NE(lines[1].find("\tt2"), std::string::npos);
  RunResult json = Cairn({"table", "list", "--json"});
  ExpectOk(json);
  EXPECT_NE(json.out.find("\"name\": \"t2\""), std::string::npos) << json.out;

  ExpectOk(Cairn({"put", "t1", "b", "two"}));
  ExpectOk(Cairn({"put", "t1", "a", "one"}));
  ExpectOk(Cairn({"put", "t1", "c\\x01", "tab\there"}));
  ExpectOk(Cairn({"put", "t2", "a", "other table"}));
  RunResult get = Cairn({"get", "t1", "a"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "one\n");
  ExpectError(Cairn({"get", "t1", "zzz"}), "zzz");
  ExpectError(Cairn({"get", "nosuch", "a"}), "nosuch");
  ExpectError(Cairn({"put", "nosuch", "a", "b"}), "nosuch");

  RunResult scan = Cairn({"scan", "t1"});
  ExpectOk(scan);
  EXPECT_EQ(scan.out, "a\tone\nb\ttwo\nc\\x01\ttab\\x09here\n");
  EXPECT_EQ(Cairn({"scan", "t1", "--from", "b"}).out, "b\ttwo\nc\\x01\ttab\\x09here\n");
  EXPECT_EQ(Cairn({"scan", "t1", "--to", "b"}).out, "a\tone\n");
  EXPECT_EQ(Cairn({"scan", "t1", "--limit", "2"}).out, "a\tone\nb\ttwo\n");
  RunResult scan_json = Cairn({"scan", "t1", "--limit", "1", "--json"});
  EXPECT_EQ(scan_json.out, "{\"key\":\"a\",\"value\":\"one\"}\n");

  ExpectOk(Cairn({"delete", "t1", "b"}));
  EXPECT_EQ(Cairn({"scan", "t1"}).out, "a\tone\nc\\x01\ttab\\x09here\n");
  ExpectOk(Cairn({"table", "drop", "t1"}));
  ExpectError(Cairn({"table", "drop", "t1"}), "t1");
  ExpectError(Cairn({"scan", "t1"}), "t1");
  EXPECT_EQ(Cairn({"scan", "t2"}).out, "a\tother table\n");

  RunResult status = Cairn({"status", "--json"});
  ExpectOk(status);
  EXPECT_NE(status.out.find("\"committed_epoch\""), std::string::npos) << status.out;
  ExpectOk(Cairn({"flush"}));
  ExpectOk(Cairn({"compact"}));
  ExpectOk(Cairn({"vacuum", "--dry-run"}));

  std::string metrics = HttpGet(server_->metrics_addr(), "/metrics");
  EXPECT_NE(metrics.find("cairn_rpc_requests_total{method=\"Kv.Put\"} 5"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("cairn_rpc_errors_total{method=\"Kv.Put\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("cairn_committed_epoch "), std::string::npos);
  EXPECT_EQ(HttpGet(server_->metrics_addr(), "/healthz"),
            "ok\nlease: ok\ncheckpoint: ok\ncompaction: ok\narchiver: ok\n");
}

TEST_F(CliTest, ParamsAndUsers) {
  StartServer();
  RunResult list = Cairn({"param", "list"});
  ExpectOk(list);
  EXPECT_NE(list.out.find("checkpoint_interval\t1s\t(default)"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("vacuum_min_age\t6h"), std::string::npos);
  // --data-dir records its backup storage in the param.
  EXPECT_NE(list.out.find("backup_storage_url\tfs://"), std::string::npos) << list.out;
  ExpectOk(Cairn({"param", "set", "pitr_retention", "7d"}));
  EXPECT_EQ(Cairn({"param", "get", "pitr_retention"}).out, "7d\n");
  ExpectError(Cairn({"param", "set", "pitr_retention", "forever"}), "pitr_retention");
  ExpectError(Cairn({"param", "set", "no_such", "1s"}), "no_such");
  ExpectError(Cairn({"param", "get", "no_such"}), "no_such");
  EXPECT_EQ(Cairn({"param", "get", "pitr_retention"}).out, "7d\n");

  ExpectOk(Cairn({"user", "create", "alice"}, "s3cret-pw\n"));
  std::string pw_file = dir_.Sub("pw");
  WriteFile(pw_file, "other-pw\n");
  ExpectOk(Cairn({"user", "create", "bob", "--password-file", pw_file}));
  ExpectError(Cairn({"user", "create", "alice"}, "x\n"), "alice");
  ExpectError(Cairn({"user", "create", "carol", "--password-file", dir_.Sub("missing")}),
              "password file");
  EXPECT_EQ(Cairn({"user", "list"}).out, "alice\nbob\n");
  ExpectOk(Cairn({"user", "drop", "alice"}));
  ExpectError(Cairn({"user", "drop", "alice"}), "alice");
  EXPECT_EQ(Cairn({"user", "list"}).out, "bob\n");
  EXPECT_EQ(server_->log().find("s3cret-pw"), std::string::npos);
}

TEST_F(CliTest, AsOfReadsWithinRetentionSetByParam) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  // A param set survives a restart (it also applies at once: ops_e2e_test).
  ExpectOk(Cairn({"param", "set", "pitr_retention", "1h"}));
  EXPECT_EQ(server_->Stop(), 0);
  StartServer();
  ExpectOk(Cairn({"put", "t", "k", "v1"}));
  RunResult flush = Cairn({"flush"});
  ExpectOk(flush);
  std::string epoch = flush.out.substr(flush.out.rfind(' ') + 1);
  epoch.pop_back();  // newline
  ExpectOk(Cairn({"put", "t", "k", "v2"}));
  EXPECT_EQ(Cairn({"get", "t", "k"}).out, "v2\n");
  EXPECT_EQ(Cairn({"get", "t", "k", "--as-of", epoch}).out, "v1\n");
  EXPECT_EQ(Cairn({"scan", "t", "--as-of", epoch}).out, "k\tv1\n");
  EXPECT_EQ(Cairn({"get", "t", "k", "--as-of", "2000-01-01T00:00:00Z"}).exit_code, 1);
  ExpectError(Cairn({"get", "t", "k", "--as-of", "yesterday"}), "invalid time 'yesterday'");
}

TEST_F(CliTest, LoadRestartAndSecondServerRefused) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "big"}));
  RunResult load = Cairn({"load", "big", "--rows", "100000", "--value-size", "20", "--seed", "7"});
  ExpectOk(load);
  EXPECT_EQ(load.out, "loaded 100000 rows into big\n");
  auto check = [&] {
    RunResult scan = Cairn({"scan", "big"});
    ExpectOk(scan);
    auto lines = Lines(scan.out);
    ASSERT_EQ(lines.size(), 100000u);
    EXPECT_EQ(lines[0].substr(0, 12), "k0000000000\t");
    EXPECT_EQ(lines[99999].substr(0, 12), "k0000099999\t");
    EXPECT_EQ(lines[500].size(), 12u + 20u);
  };
  check();
  RunResult before = Cairn({"scan", "big", "--from", "k0000012345", "--limit", "1"});

  ServerProcess second(kCairn, dir_.path().string());
  EXPECT_FALSE(second.Start({"--data-dir", data_dir_, "--listen", "127.0.0.1:0"}));
  EXPECT_NE(second.error().find("exited with code 1"), std::string::npos) << second.error();
  EXPECT_NE(second.error().find("is in use by another cairn server (lease held by"),
            std::string::npos)
      << second.error();

  EXPECT_EQ(server_->Stop(), 0) << server_->log();
  StartServer();
  check();
  EXPECT_EQ(Cairn({"scan", "big", "--from", "k0000012345", "--limit", "1"}).out, before.out);
  EXPECT_EQ(Cairn({"table", "list"}).out.find("big") != std::string::npos, true);
}

TEST_F(CliTest, SigtermDuringLoadKeepsAcknowledgedRows) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  std::string out = dir_.Sub("load.out"), err = dir_.Sub("load.err");
  pid_t load = SpawnProcess(
      {kCairn, "load", "t", "--rows", "2000000", "--value-size", "10", "--addr", server_addr_}, out,
      err);
  // Wait until the load has made durable progress, then stop the server under it.
  for (int i = 0; i < 600; ++i) {
    if (Cairn({"scan", "t", "--from", "k0000040000", "--limit", "1"}).out.size() > 0) break;
    usleep(100 * 1000);
  }
  EXPECT_EQ(server_->Stop(), 0) << server_->log();
  int load_exit = WaitProcess(load);
  std::string load_err = ReadFile(err);
  uint64_t acknowledged = 2000000;
  if (load_exit != 0) {
    size_t at = load_err.rfind('(');
    ASSERT_NE(at, std::string::npos) << load_err;
    acknowledged = std::stoull(load_err.substr(at + 1));
    EXPECT_NE(load_err.find("rows acknowledged before the error"), std::string::npos);
  }
  ASSERT_GT(acknowledged, 0u) << load_err;

  StartServer();
  RunResult scan = Cairn({"scan", "t", "--to",
                          "k" + std::string(10 - std::to_string(acknowledged).size(), '0') +
                              std::to_string(acknowledged)});
  ExpectOk(scan);
  EXPECT_EQ(Lines(scan.out).size(), acknowledged);
}

TEST_F(CliTest, AuthToken) {
  std::string token_file = dir_.Sub("token"), wrong_file = dir_.Sub("wrong");
  WriteFile(token_file, "t0ken-value-123\n");
  WriteFile(wrong_file, "not-the-token\n");
  StartServer({"--auth-token-file", token_file});

  ExpectError(Cairn({"table", "create", "t"}), "permission denied");
  ExpectError(Cairn({"table", "create", "t", "--auth-token-file", wrong_file}),
              "permission denied");
  ExpectError(Cairn({"param", "set", "pitr_retention", "1d"}), "permission denied");
  ExpectError(Cairn({"user", "create", "u"}, "pw\n"), "permission denied");
  // Reads need a credential too; nothing changed.
  ExpectError(Cairn({"table", "list"}), "permission denied");
  RunResult list = Cairn({"table", "list", "--auth-token-file", token_file});
  ExpectOk(list);
  EXPECT_EQ(list.out, "");
  EXPECT_EQ(Cairn({"param", "get", "pitr_retention", "--auth-token-file", token_file}).out, "0\n");

  ExpectOk(Cairn({"table", "create", "t", "--auth-token-file", token_file}));
  ExpectOk(Cairn({"put", "t", "k", "v"}, "", {{"CAIRN_AUTH_TOKEN_FILE", token_file}}));
  EXPECT_EQ(Cairn({"get", "t", "k", "--auth-token-file", token_file}).out, "v\n");
  ExpectError(Cairn({"table", "list", "--auth-token-file", dir_.Sub("missing")}),
              "cannot read auth token file");

  EXPECT_EQ(server_->Stop(), 0);
  EXPECT_EQ(server_->log().find("t0ken-value-123"), std::string::npos);

  // Auth off again: no token needed.
  StartServer();
  ExpectOk(Cairn({"put", "t", "k2", "v2"}));
}

TEST_F(CliTest, ServerStartupErrors) {
  auto start_fails = [&](std::vector<std::string> args, const std::string& text) {
    std::vector<std::string> argv = {kCairn, "server"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = RunProcess(argv, "", {{"CAIRN_AUTH_TOKEN_FILE", ""}});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  };
  start_fails({"--data-dir", data_dir_, "--listen", "127.0.0.1:0", "--auth-token-file",
               dir_.Sub("missing-token")},
              "cannot read auth token file");
  std::string bad_toml = dir_.Sub("bad.toml");
  WriteFile(bad_toml, "# cairn\nlisten = \"127.0.0.1:0\"\ndata_dir = = oops\n");
  start_fails({"--config", bad_toml}, "bad.toml:3");
  std::string unknown_key = dir_.Sub("unknown.toml");
  WriteFile(unknown_key, "listen = \"127.0.0.1:0\"\n\nlisten_port = 5\n");
  start_fails({"--config", unknown_key}, "unknown.toml:3: unknown key 'listen_port'");
  start_fails({"--listen", "127.0.0.1:0"}, "no storage configured");
  start_fails({"--data-dir", data_dir_, "--listen", "nonsense"}, "--listen 'nonsense'");

  // Flags override the file: the file's bad listen address is never used.
  std::string good = dir_.Sub("good.toml");
  WriteFile(good, "data_dir = \"" + data_dir_ + "\"\nlisten = \"nonsense\"\n");
  server_ = std::make_unique<ServerProcess>(kCairn, dir_.path().string());
  ASSERT_TRUE(server_->Start({"--config", good, "--listen", "127.0.0.1:0"},
                             {{"CAIRN_AUTH_TOKEN_FILE", ""}}))
      << server_->error();
  server_addr_ = server_->addr();
  ExpectOk(Cairn({"table", "create", "from_config"}));
  // A busy port is an error, not a silently shared port.
  start_fails(
      {"--data-dir", dir_.Sub("other"), "--listen", server_addr_, "--http-listen", "127.0.0.1:0"},
      "cannot listen on " + server_addr_);
  // Likewise the HTTP port (bound first).
  start_fails({"--data-dir", dir_.Sub("other"), "--listen", "127.0.0.1:0", "--http-listen",
               server_->metrics_addr()},
              "cannot listen on " + server_->metrics_addr() + " for HTTP");
  EXPECT_EQ(server_->Stop(), 0);
}

}  // namespace
}  // namespace cairn::testing
