// TcpProxy: a 127.0.0.1 listener on a free port that forwards each connection to an
// upstream HOST:PORT until Freeze(), after which it forwards nothing more in either
// direction and answers no new connection: to the process on the other side, a server
// that hangs. With no upstream it never answers at all (a store that accepts and hangs).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_util.h"

namespace cairn::testing {

class TcpProxy {
 public:
  // `upstream_port` 0: accept and hang.
  explicit TcpProxy(int upstream_port = 0) : upstream_port_(upstream_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listen_fd_, 64);
    accept_ = std::thread([this] { AcceptLoop(); });
  }
  ~TcpProxy() {
    stop_ = true;
    accept_.join();
    for (auto& t : pumps_) t.join();
    close(listen_fd_);
    for (int fd : fds_) close(fd);
  }

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  void Freeze() { frozen_ = true; }

 private:
  bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 50) > 0;
  }
  void AcceptLoop() {
    while (!stop_) {
      if (!Readable(listen_fd_)) continue;
      int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      accepted_++;
      Keep(client);
      if (upstream_port_ == 0 || frozen_) continue;  // hold it open, never answer
      int up = ConnectLoopback(upstream_port_);
      if (up < 0) continue;
      Keep(up);
      pumps_.emplace_back([this, client, up] { Pump(client, up); });
      pumps_.emplace_back([this, client, up] { Pump(up, client); });
    }
  }
  void Pump(int from, int to) {
    char buf[16384];
    while (!stop_) {
      if (frozen_ || !Readable(from)) continue;
      ssize_t n = read(from, buf, sizeof(buf));
      if (n <= 0) {
        shutdown(to, SHUT_WR);
        return;
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, n - off);
        if (w <= 0) return;
        off += w;
      }
    }
  }
  void Keep(int fd) {
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
  }

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::thread accept_;
  std::vector<std::thread> pumps_;  // added by accept_ only
};

}  // namespace cairn::testing
