#include "server/server_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/test_util.h"

namespace cairn::server {
namespace {

std::string Write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.Sub(name);
  std::ofstream(path) << text;
  return path;
}

// ServerOptions with some fields set, e.g. Options({{&ServerOptions::listen, "a:1"}}).
ServerOptions Options(
    std::initializer_list<std::pair<std::string ServerOptions::*, std::string>> set) {
  ServerOptions options;
  for (const auto& [field, value] : set) options.*field = value;
  return options;
}

TEST(ServerConfigTest, ReadsEveryKey) {
  testing::TempDir dir;
  auto options = ReadConfigFile(Write(dir, "c.toml",
                                      "data_dir = \"/d\"\nlisten = \"0.0.0.0:1\"\n"
                                      "http_listen = \"127.0.0.1:2\"\nmeta_store = \"mem://m\"\n"
                                      "object_store = \"mem://o\"\nbackup_storage = \"mem://b\"\n"
                                      "auth_token_file = \"/t\"\nlog_level = \"debug\"\n"
                                      "tls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n"
                                      "tls_ca = \"/ca.pem\"\n"
                                      "max_background_compactions = \"3\"\n"));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->data_dir, "/d");
  EXPECT_EQ(options->listen, "0.0.0.0:1");
  EXPECT_EQ(options->http_listen, "127.0.0.1:2");
  EXPECT_EQ(options->meta_store, "mem://m");
  EXPECT_EQ(options->object_store, "mem://o");
  EXPECT_EQ(options->backup_storage, "mem://b");
  EXPECT_EQ(options->auth_token_file, "/t");
  EXPECT_EQ(options->log_level, "debug");
  EXPECT_EQ(options->tls_cert_file, "/c.pem");
  EXPECT_EQ(options->tls_key_file, "/k.pem");
  EXPECT_EQ(options->tls_ca_file, "/ca.pem");
  EXPECT_EQ(options->max_background_compactions, "3");
}

TEST(ServerConfigTest, ErrorsNameFileAndLine) {
  testing::TempDir dir;
  struct Case {
    std::string text, expect;
  };
  for (const Case& c : {Case{"listen = \"a:1\"\n\nlisten = = 3\n", "bad.toml:3"},
                        Case{"\nport = 5\n", "bad.toml:2: unknown key 'port'"},
                        Case{"listen = 7600\n", "bad.toml:1: key 'listen' must be a string"}}) {
    auto options = ReadConfigFile(Write(dir, "bad.toml", c.text));
    ASSERT_FALSE(options.ok()) << c.text;
    EXPECT_EQ(options.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(options.status().message().find(c.expect), std::string::npos)
        << options.status().message();
  }
  EXPECT_NE(ReadConfigFile(dir.Sub("missing.toml")).status().message().find("does not exist"),
            std::string::npos);
}

TEST(ServerConfigTest, FlagsOverrideTheFile) {
  ServerOptions file = Options({{&ServerOptions::data_dir, "/file"},
                                {&ServerOptions::listen, "1.1.1.1:1"},
                                {&ServerOptions::log_level, "debug"}});
  ServerOptions flags = Options({{&ServerOptions::listen, "2.2.2.2:2"}});
  ServerOptions merged = MergeOptions(file, flags);
  EXPECT_EQ(merged.data_dir, "/file");
  EXPECT_EQ(merged.listen, "2.2.2.2:2");
  EXPECT_EQ(merged.log_level, "debug");
}

TEST(ServerConfigTest, DataDirAloneGivesEmbeddedDefaults) {
  testing::TempDir dir;
  auto options = ResolveServerOptions(Options({{&ServerOptions::data_dir, dir.Sub("d")}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  std::string d = std::filesystem::canonical(dir.Sub("d")).string();
  EXPECT_EQ(options->meta_store, "sqlite://" + d + "/meta.db");
  EXPECT_EQ(options->object_store, "fs://" + d + "/data");
  EXPECT_EQ(options->backup_storage, "fs://" + d + "/backup");
  EXPECT_TRUE(std::filesystem::is_directory(d + "/data"));
  EXPECT_TRUE(std::filesystem::is_directory(d + "/backup"));
  EXPECT_EQ(options->listen, "127.0.0.1:7600");
  EXPECT_EQ(options->http_listen, "127.0.0.1:7601");
  // Explicit URLs win over the data dir defaults.
  auto mixed = ResolveServerOptions(
      Options({{&ServerOptions::data_dir, dir.Sub("d")}, {&ServerOptions::meta_store, "mem://m"}}));
  EXPECT_EQ(mixed->meta_store, "mem://m");
}

TEST(ServerConfigTest, MissingStoresAndBadAddressesAreRejected) {
  EXPECT_NE(ResolveServerOptions({}).status().message().find("no storage configured"),
            std::string::npos);
  EXPECT_FALSE(ResolveServerOptions(Options({{&ServerOptions::meta_store, "mem://m"}})).ok());
  for (const char* bad : {"nonsense", ":80", "host:", "host:99999", "host:x"}) {
    auto options = ResolveServerOptions(Options({{&ServerOptions::listen, bad},
                                                 {&ServerOptions::meta_store, "mem://m"},
                                                 {&ServerOptions::object_store, "mem://o"}}));
    ASSERT_FALSE(options.ok()) << bad;
    EXPECT_NE(options.status().message().find("--listen"), std::string::npos);
  }
}

TEST(ServerConfigTest, BackgroundCompactionsDefaultValueAndBadValues) {
  auto options = ResolveServerOptions(Options(
      {{&ServerOptions::meta_store, "mem://m"}, {&ServerOptions::object_store, "mem://o"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->background_compactions, kDefaultBackgroundCompactions);
  options = ResolveServerOptions(Options({{&ServerOptions::meta_store, "mem://m"},
                                          {&ServerOptions::object_store, "mem://o"},
                                          {&ServerOptions::max_background_compactions, "1"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->background_compactions, 1);
  for (const char* bad : {"0", "-1", "65", "2x", " 2", "many"}) {
    auto r = ResolveServerOptions(Options({{&ServerOptions::meta_store, "mem://m"},
                                           {&ServerOptions::object_store, "mem://o"},
                                           {&ServerOptions::max_background_compactions, bad}}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--max-background-compactions"), std::string::npos)
        << r.status().ToString();
  }
}

TEST(ServerConfigTest, BacklogLimitAndShutdownGraceDefaultsAndBadValues) {
  auto options = ResolveServerOptions(Options(
      {{&ServerOptions::meta_store, "mem://m"}, {&ServerOptions::object_store, "mem://o"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->max_changelog_backlog_records, kDefaultMaxChangelogBacklog);
  EXPECT_EQ(options->shutdown_grace_ms, kDefaultShutdownGraceMs);
  options = ResolveServerOptions(Options({{&ServerOptions::meta_store, "mem://m"},
                                          {&ServerOptions::object_store, "mem://o"},
                                          {&ServerOptions::max_changelog_backlog, "0"},
                                          {&ServerOptions::shutdown_grace, "1500ms"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->max_changelog_backlog_records, 0u);
  EXPECT_EQ(options->shutdown_grace_ms, 1500);
  for (const char* bad : {"-1", "10k", " 5"}) {
    auto r = ResolveServerOptions(Options({{&ServerOptions::meta_store, "mem://m"},
                                           {&ServerOptions::object_store, "mem://o"},
                                           {&ServerOptions::max_changelog_backlog, bad}}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--max-changelog-backlog"), std::string::npos)
        << r.status().ToString();
  }
  for (const char* bad : {"11m", "soon"}) {
    auto r = ResolveServerOptions(Options({{&ServerOptions::meta_store, "mem://m"},
                                           {&ServerOptions::object_store, "mem://o"},
                                           {&ServerOptions::shutdown_grace, bad}}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--shutdown-grace"), std::string::npos)
        << r.status().ToString();
  }
}

TEST(ServerConfigTest, TlsCertAndKeyGoTogether) {
  auto resolve =
      [](std::initializer_list<std::pair<std::string ServerOptions::*, std::string>> tls) {
        ServerOptions options = Options(tls);
        options.meta_store = "mem://m";
        options.object_store = "mem://o";
        return ResolveServerOptions(options).status();
      };
  EXPECT_TRUE(resolve({}).ok());
  EXPECT_TRUE(
      resolve({{&ServerOptions::tls_cert_file, "c"}, {&ServerOptions::tls_key_file, "k"}}).ok());
  EXPECT_TRUE(resolve({{&ServerOptions::tls_cert_file, "c"},
                       {&ServerOptions::tls_key_file, "k"},
                       {&ServerOptions::tls_ca_file, "ca"}})
                  .ok());
  EXPECT_NE(resolve({{&ServerOptions::tls_cert_file, "c"}}).message().find("together"),
            std::string::npos);
  EXPECT_NE(resolve({{&ServerOptions::tls_key_file, "k"}}).message().find("together"),
            std::string::npos);
  EXPECT_NE(resolve({{&ServerOptions::tls_ca_file, "ca"}}).message().find("--tls-ca"),
            std::string::npos);
}

}  // namespace
}  // namespace cairn::server
