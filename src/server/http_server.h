// HttpServer: the HTTP/1.1 listener behind /metrics, /healthz, the JSON API and the
// console. One poll loop thread accepts connections and reads requests without
// blocking; a complete request goes to a bounded pool of worker threads, which run
// the handler and write the response, then hand a keep-alive connection back to the
// loop. So a slow client holds at most its own connection, never a thread:
//  - a request (TLS handshake, headers and body) must arrive within request_timeout_ms
//    of its first byte (of the connection, for the first one), else 408 and close;
//  - a keep-alive connection without a new request for idle_timeout_ms is closed;
//  - a response must be written within write_timeout_ms (a worker holds it that long);
//  - requests over the limits get 431/413 and the connection is closed;
//  - beyond max_connections, a new connection gets 503 and is closed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "server/http_parser.h"
#include "server/http_router.h"
#include "server/http_transport.h"

namespace cairn::server {

struct HttpServerOptions {
  int workers = 8;
  size_t max_connections = 256;
  int request_timeout_ms = 10'000;
  int idle_timeout_ms = 30'000;
  int write_timeout_ms = 10'000;
  HttpLimits limits;
  TransportFactory transport;  // empty: plain TCP
};

class HttpServer {
 public:
  explicit HttpServer(HttpHandler handler, HttpServerOptions options = {});
  ~HttpServer() { Stop(); }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds HOST:PORT (IPv4; port 0 = ephemeral); the bound port. Connections wait in
  // the backlog until Serve().
  Result<int> Bind(const std::string& host, int port);
  // Starts the loop and the workers (after a successful Bind).
  void Serve();
  // Stops accepting, closes idle connections, lets running handlers finish (their
  // connections are closed after the response), joins every thread. Idempotent.
  void Stop();

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  struct Connection {
    std::unique_ptr<HttpTransport> transport;
    std::string buffer;       // bytes of the next request(s) read so far
    Deadline deadline;        // request or idle deadline, see the header comment
    bool want_write = false;  // TLS asked for a writable socket to make progress
  };
  struct Job {
    std::unique_ptr<Connection> connection;
    HttpRequest request;
    HttpResponse error;  // when error.code != 0 the response, and the connection closes
  };

  void Loop();
  void Accept();
  // Reads what the connection has and dispatches complete requests; false: drop it.
  bool ReadFrom(Connection* connection);
  // Parses the buffer: a complete request or an error becomes a job (true).
  bool Dispatch(std::unique_ptr<Connection>* connection);
  void Enqueue(Job job);
  void Work();
  void Serve(Job job);
  void TakeBackReturned();
  void Wake();

  const HttpHandler handler_;
  const HttpServerOptions options_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread loop_;
  std::vector<std::thread> workers_;
  std::map<int, std::unique_ptr<Connection>> idle_;  // loop thread only
  std::atomic<size_t> open_connections_{0};

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Job> jobs_;                               // guarded by mu_
  std::vector<std::unique_ptr<Connection>> returned_;  // guarded by mu_
};

}  // namespace cairn::server
