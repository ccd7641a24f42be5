// A minimal HTTP/1.0 server for /metrics and /healthz: one thread, one request per
// connection, GET only. Enough for Prometheus and health probes; not a web server.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "common/result.h"

namespace cairn::server {

struct HttpResponse {
  int code = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const std::string& path)>;

  explicit HttpServer(Handler handler) : handler_(std::move(handler)) {}
  ~HttpServer() { Stop(); }

  // Binds HOST:PORT (port 0 = ephemeral) and starts serving; returns the bound port.
  Result<int> Start(const std::string& host, int port);
  void Stop();

 private:
  void Serve();
  void HandleConnection(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cairn::server
