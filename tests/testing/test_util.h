// Helpers shared by every test: temp dirs, free ports, external server endpoints.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace cairn::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-test-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// A blocking TCP connection to 127.0.0.1:`port`; -1 when it is refused.
inline int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Endpoints of the servers started by scripts/test-servers.sh, read from the KEY=VALUE
// file named by $CAIRN_TEST_ENV_FILE (or the process environment). A real-server test
// calls RequireExternal(name): when the endpoint is missing the test FAILS (it is never
// silently skipped), unless CAIRN_TEST_EXTERNAL=0 is set for a quick local loop.
inline std::map<std::string, std::string> ExternalEnv() {
  std::map<std::string, std::string> env;
  if (const char* file = std::getenv("CAIRN_TEST_ENV_FILE")) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      auto eq = line.find('=');
      if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return env;
}

inline std::string ExternalEndpoint(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return v;
  auto env = ExternalEnv();
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

inline bool ExternalTestsDisabled() {
  const char* v = std::getenv("CAIRN_TEST_EXTERNAL");
  return v != nullptr && std::string(v) == "0";
}

}  // namespace cairn::testing

// Use at the top of a real-server test: fails when the server is not configured.
#define CAIRN_REQUIRE_EXTERNAL(var, name)                                                   \
  std::string var = ::cairn::testing::ExternalEndpoint(name);                               \
  if (var.empty()) {                                                                        \
    if (::cairn::testing::ExternalTestsDisabled()) GTEST_SKIP() << "CAIRN_TEST_EXTERNAL=0"; \
    FAIL() << name << " is not set: run tests through scripts/test.sh, which starts the "   \
           << "servers (see scripts/test-servers.sh)";                                      \
  }
