// The CliTest fixture shared by the end-to-end tests: a temp data dir, a real
// `cairn server` on port 0, and the `cairn` binary run as a subprocess.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "process.h"
#include "testing/test_util.h"

namespace cairn::testing {

inline const std::string kCairn = CAIRN_BINARY;

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

// Writes a file readable only by its owner, as secret and config files must be.
inline void WriteFile(const std::string& path, const std::string& text) {
  {
    std::ofstream out(path);
    out << text;
  }
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

class CliTest : public ::testing::Test {
 protected:
  // Runs `cairn ARGS --addr <server>`.
  RunResult Cairn(std::vector<std::string> args, const std::string& input = "",
                  std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {kCairn};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!server_addr_.empty()) {
      argv.push_back("--addr");
      argv.push_back(server_addr_);
    }
    // Isolate from the caller's environment.
    env.emplace("CAIRN_ADDR", "");
    for (const char* name :
         {"CAIRN_AUTH_TOKEN_FILE", "CAIRN_USER", "CAIRN_PASSWORD_FILE", "CAIRN_TLS_CA",
          "CAIRN_TLS_CLIENT_CERT", "CAIRN_TLS_CLIENT_KEY", "CAIRN_BACKUP_KEY_FILE"}) {
      env.emplace(name, "");
    }
    return RunProcess(argv, input, env);
  }

  // Starts a server on the temp data dir; fails the test when it does not come up.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--data-dir", data_dir_, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(kCairn, dir_.path().string());
    ASSERT_TRUE(
        server_->Start(args, {{"CAIRN_AUTH_TOKEN_FILE", ""}, {"CAIRN_BACKUP_KEY_FILE", ""}}))
        << server_->error();
    server_addr_ = server_->addr();
  }

  void ExpectOk(const RunResult& r) {
    EXPECT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err;
  }
  // Exit 1 and a one-line `error: ...` containing `text`.
  void ExpectError(const RunResult& r, const std::string& text) {
    EXPECT_EQ(r.exit_code, 1) << "stdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  }

  // The table list and every table's rows, as the CLI prints them.
  std::map<std::string, std::string> DumpTables() {
    std::map<std::string, std::string> state;
    RunResult tables = Cairn({"table", "list"});
    ExpectOk(tables);
    state["tables"] = tables.out;
    for (const auto& line : Lines(tables.out)) {
      std::string name = line.substr(line.find('\t') + 1);
      RunResult rows = Cairn({"scan", name});
      ExpectOk(rows);
      state["table " + name] = rows.out;
    }
    return state;
  }
  // `cairn restore` of the server's data dir (StartServer's --data-dir layout), then `extra`.
  std::vector<std::string> RestoreArgs(std::vector<std::string> extra) {
    std::vector<std::string> args = {"restore",
                                     "--backup-storage",
                                     "fs://" + data_dir_ + "/backup",
                                     "--meta-store",
                                     "sqlite://" + data_dir_ + "/meta.db",
                                     "--object-store",
                                     "fs://" + data_dir_ + "/data"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  TempDir dir_;
  std::string data_dir_ = dir_.Sub("data");
  std::unique_ptr<ServerProcess> server_;
  std::string server_addr_;
};

}  // namespace cairn::testing
