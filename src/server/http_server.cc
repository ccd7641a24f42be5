#include "server/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace cairn::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

SteadyClock::time_point After(int ms) { return SteadyClock::now() + std::chrono::milliseconds(ms); }

constexpr size_t kReadChunk = 64 << 10;
constexpr int kMaxPollMs = 1000;
constexpr int kErrorWriteMs = 1000;

}  // namespace

HttpServer::HttpServer(HttpHandler handler, HttpServerOptions options)
    : handler_(std::move(handler)), options_(std::move(options)) {}

Result<int> HttpServer::Bind(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string ip = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("--http-listen host '" + host + "' is not an IPv4 address");
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 128) != 0 || ::pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::string why = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return Status::IOError("cannot listen on " + host + ":" + std::to_string(port) +
                           " for HTTP: " + why);
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  return static_cast<int>(ntohs(addr.sin_port));
}

void HttpServer::Serve() {
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
  loop_ = std::thread([this] { Loop(); });
}

void HttpServer::Stop() {
  if (stop_.exchange(true)) return;
  Wake();
  if (loop_.joinable()) loop_.join();
  {
    // Under the lock: a worker between its predicate check and its wait sees stop_.
    std::lock_guard<std::mutex> lock(mu_);
  }
  work_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  jobs_.clear();
  returned_.clear();
  idle_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int& fd : wake_fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  listen_fd_ = -1;
}

void HttpServer::Wake() {
  if (wake_fds_[1] >= 0) (void)!::write(wake_fds_[1], "x", 1);
}

void HttpServer::Loop() {
  std::vector<pollfd> fds;
  while (!stop_) {
    TakeBackReturned();
    fds.clear();
    fds.push_back({wake_fds_[0], POLLIN, 0});
    bool accepting = open_connections_ < options_.max_connections + 1;
    fds.push_back({listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0});
    int timeout = kMaxPollMs;
    auto now = SteadyClock::now();
    for (auto& [fd, c] : idle_) {
      fds.push_back({fd, static_cast<short>(c->want_write ? POLLOUT : POLLIN), 0});
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c->deadline - now).count();
      timeout = std::min<int>(timeout, std::max<int64_t>(0, left + 1));
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      char drain[256];
      while (::read(wake_fds_[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) Accept();
    now = SteadyClock::now();
    for (size_t i = 2; i < fds.size(); ++i) {
      auto it = idle_.find(fds[i].fd);
      if (it == idle_.end()) continue;
      bool open = true;
      if (fds[i].revents != 0) {
        open = ReadFrom(it->second.get());
        // Even from a peer that closed: a complete request still gets its response.
        if (Dispatch(&it->second)) {
          idle_.erase(it);
          continue;
        }
      }
      if (open && now >= it->second->deadline) {
        if (!it->second->buffer.empty()) {
          Enqueue({std::move(it->second), {}, TextError(408, "request not received in time")});
          idle_.erase(it);
          continue;
        }
        open = false;
      }
      if (!open) {
        --open_connections_;
        idle_.erase(it);
      }
    }
  }
}

void HttpServer::Accept() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    auto connection = std::make_unique<Connection>();
    connection->transport =
        options_.transport ? options_.transport(fd) : std::make_unique<HttpTransport>(fd);
    connection->deadline = After(options_.request_timeout_ms);
    ++open_connections_;
    if (open_connections_ > options_.max_connections) {
      Enqueue({std::move(connection), {}, TextError(503, "too many connections")});
      return;
    }
    idle_[fd] = std::move(connection);
  }
}

bool HttpServer::ReadFrom(Connection* connection) {
  connection->want_write = false;
  char buf[kReadChunk];
  while (connection->buffer.size() <=
         options_.limits.max_header_bytes + options_.limits.max_body_bytes) {
    IoResult r = connection->transport->Read(buf, sizeof(buf));
    if (r.kind == IoResult::kWantRead) return true;
    if (r.kind == IoResult::kWantWrite) {
      connection->want_write = true;
      return true;
    }
    if (r.kind != IoResult::kOk) return false;
    if (connection->buffer.empty()) connection->deadline = After(options_.request_timeout_ms);
    connection->buffer.append(buf, r.n);
  }
  return true;
}

bool HttpServer::Dispatch(std::unique_ptr<Connection>* connection) {
  Connection* c = connection->get();
  if (c->buffer.empty()) return false;
  HttpRequest request;
  ParseResult parsed = ParseRequest(c->buffer, options_.limits, &request);
  if (parsed.state == ParseResult::kIncomplete) return false;
  if (parsed.state == ParseResult::kError) {
    Enqueue({std::move(*connection), {}, TextError(parsed.error_code, parsed.error)});
    return true;
  }
  c->buffer.erase(0, parsed.consumed);
  Enqueue({std::move(*connection), std::move(request), {0, "", "", {}}});
  return true;
}

void HttpServer::Enqueue(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void HttpServer::Work() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Serve(std::move(job));
  }
}

void HttpServer::Serve(Job job) {
  HttpResponse response = std::move(job.error);
  bool keep_alive = false;
  if (response.code == 0) {
    try {
      response = handler_(job.request);
    } catch (const std::exception& e) {
      CAIRN_LOG_ERROR("HTTP {} {}: {}", job.request.method, job.request.path, e.what());
      response = TextError(500, "internal error");
    }
    keep_alive = job.request.keep_alive;
  }
  keep_alive = keep_alive && !stop_;
  std::string bytes = SerializeResponse(response, keep_alive);
  // An error response goes to a client that is misbehaving or gone: it gets little time.
  int timeout_ms = job.request.method.empty() ? std::min(options_.write_timeout_ms, kErrorWriteMs)
                                              : options_.write_timeout_ms;
  bool written = WriteAll(job.connection->transport.get(), bytes.data(), bytes.size(), timeout_ms);
  if (!written || !keep_alive) {
    if (!keep_alive) ::shutdown(job.connection->transport->fd(), SHUT_WR);
    --open_connections_;
    return;  // the connection closes here
  }
  job.connection->deadline = After(options_.idle_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(mu_);
    returned_.push_back(std::move(job.connection));
  }
  Wake();
}

void HttpServer::TakeBackReturned() {
  std::vector<std::unique_ptr<Connection>> back;
  {
    std::lock_guard<std::mutex> lock(mu_);
    back.swap(returned_);
  }
  for (auto& c : back) {
    // Pipelined bytes already read: the next request may be complete.
    if (!c->buffer.empty()) c->deadline = After(options_.request_timeout_ms);
    if (Dispatch(&c)) continue;
    int fd = c->transport->fd();
    idle_[fd] = std::move(c);
  }
}

}  // namespace cairn::server
