// The HTTP listener over real sockets: routing, keep-alive, limits, timeouts and
// concurrency (a slow client must not hold the others).
#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "testing/test_util.h"

namespace cairn::server {
namespace {

// Reads until the peer closes (or 30 s without data).
std::string ReadToEnd(int fd) {
  std::string response;
  char buf[4096];
  while (true) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 30'000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  return response;
}

// Sends `request` on a new connection and reads until the server closes it.
std::string Request(int port, const std::string& request) {
  int fd = testing::ConnectLoopback(port);
  if (fd < 0) return "";
  (void)!write(fd, request.data(), request.size());
  std::string response = ReadToEnd(fd);
  close(fd);
  return response;
}

std::string Body(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// A router with GET /hello, POST /echo and GET /items/{id}, on an ephemeral port.
class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    router_.Add("GET", "/hello", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "hi " + r.path + " x=" + r.query.at("x") + "\n", {}};
    });
    router_.Add("POST", "/echo", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", r.method + ":" + r.body + ":" + r.Header("X-Tag"), {}};
    });
    router_.Add("GET", "/items/{id}", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "item " + r.params.at("id"), {}};
    });
    router_.Add("DELETE", "/items/{id}", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "deleted " + r.params.at("id"), {}};
    });
    router_.Add("GET", "/slow", [this](const HttpRequest&) {
      slow_started_ = true;
      while (!release_slow_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return HttpResponse{200, "text/plain", "slow done", {}};
    });
    server_ = std::make_unique<HttpServer>(
        [this](const HttpRequest& r) { return router_.Route(r); }, options);
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    server_->Serve();
  }
  void TearDown() override {
    release_slow_ = true;
    if (server_) server_->Stop();
  }

  HttpRouter router_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<bool> slow_started_{false}, release_slow_{false};
};

TEST_F(HttpServerTest, RoutesMethodsPathsQueriesAndBodies) {
  StartServer();
  std::string ok = Request(port_, "GET /hello?x=a%20b&y HTTP/1.0\r\nHost: a\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("Content-Length: 16\r\n"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Connection: close\r\n"), std::string::npos) << ok;
  EXPECT_EQ(Body(ok), "hi /hello x=a b\n");
  EXPECT_EQ(Body(Request(port_,
                         "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nx-tag: t1\r\n"
                         "Connection: close\r\n\r\nhello")),
            "POST:hello:t1");
  EXPECT_EQ(Body(Request(port_, "GET /items/42 HTTP/1.0\r\n\r\n")), "item 42");
  EXPECT_EQ(Body(Request(port_, "DELETE /items/7 HTTP/1.0\r\n\r\n")), "deleted 7");
  EXPECT_EQ(Request(port_, "GET /other HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Request(port_, "GET /items/ HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  std::string wrong = Request(port_, "POST /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(wrong.rfind("HTTP/1.1 405", 0), 0u) << wrong;
  EXPECT_NE(wrong.find("Allow: GET\r\n"), std::string::npos) << wrong;
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  int fd = testing::ConnectLoopback(port_);
  ASSERT_GE(fd, 0);
  // Two pipelined requests, then a third after the answers; the last one closes.
  std::string two =
      "GET /items/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(write(fd, two.data(), two.size()), static_cast<ssize_t>(two.size()));
  std::string got;
  char buf[4096];
  while (got.find("item 2") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("item 1"), std::string::npos);
  EXPECT_NE(got.find("Connection: keep-alive"), std::string::npos);
  std::string last = "GET /items/3 HTTP/1.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(write(fd, last.data(), last.size()), static_cast<ssize_t>(last.size()));
  std::string rest = ReadToEnd(fd);
  EXPECT_EQ(Body(rest), "item 3");
  close(fd);
}

TEST_F(HttpServerTest, OversizedAndMalformedRequestsAreRefused) {
  HttpServerOptions options;
  options.limits.max_header_bytes = 1024;
  options.limits.max_body_bytes = 100;
  StartServer(options);
  EXPECT_EQ(
      Request(port_, "POST /echo HTTP/1.1\r\nContent-Length: 101\r\n\r\n").rfind("HTTP/1.1 413", 0),
      0u);
  std::string huge = "GET /hello HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Request(port_, huge).rfind("HTTP/1.1 431", 0), 0u);
  EXPECT_EQ(Request(port_, "NONSENSE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(Request(port_, "GET /hello HTTP/2.0\r\n\r\n").rfind("HTTP/1.1 505", 0), 0u);
  EXPECT_EQ(Request(port_, "GET /hello%zz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(Request(port_, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .rfind("HTTP/1.1 411", 0),
            0u);
  EXPECT_EQ(
      Request(port_, "POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n").rfind("HTTP/1.1 400", 0),
      0u);
  // Still serving.
  EXPECT_EQ(Body(Request(port_, "GET /items/9 HTTP/1.0\r\n\r\n")), "item 9");
}

// The slow client: one byte every 1.9 s. It is cut off with 408 at the request
// timeout, and other clients are served meanwhile.
TEST_F(HttpServerTest, TricklingClientTimesOutWithoutHoldingOthers) {
  HttpServerOptions options;
  options.request_timeout_ms = 3000;
  StartServer(options);
  int fd = testing::ConnectLoopback(port_);
  ASSERT_GE(fd, 0);
  auto trickle = std::async(std::launch::async, [fd] {
    std::string request = "GET /hello HTTP/1.1\r\nHost: slow\r\n\r\n";
    size_t sent = 0;
    for (char c : request) {
      if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
      ++sent;
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 1900) > 0) break;  // the server answered (and closes)
    }
    return sent;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Body(Request(port_, "GET /items/" + std::to_string(i) + " HTTP/1.0\r\n\r\n")),
              "item " + std::to_string(i));
  }
  size_t sent = trickle.get();
  std::string response = ReadToEnd(fd);
  close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 408", 0), 0u) << response;
  EXPECT_LT(sent, std::string("GET /hello HTTP/1.1\r\nHost: slow\r\n\r\n").size());
}

TEST_F(HttpServerTest, IdleConnectionsAreClosed) {
  HttpServerOptions options;
  options.request_timeout_ms = 500;
  options.idle_timeout_ms = 500;
  StartServer(options);
  int silent = testing::ConnectLoopback(port_);  // never sends anything
  ASSERT_GE(silent, 0);
  EXPECT_EQ(ReadToEnd(silent), "");  // closed by the server, without a response
  close(silent);
  int kept = testing::ConnectLoopback(port_);  // keep-alive after one request, then idle
  std::string request = "GET /items/5 HTTP/1.1\r\n\r\n";
  ASSERT_EQ(write(kept, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  EXPECT_EQ(Body(ReadToEnd(kept)), "item 5");
  close(kept);
}

TEST_F(HttpServerTest, ASlowHandlerDoesNotBlockOtherRequests) {
  StartServer();
  auto slow = std::async(std::launch::async,
                         [this] { return Body(Request(port_, "GET /slow HTTP/1.0\r\n\r\n")); });
  while (!slow_started_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Body(Request(port_, "GET /items/1 HTTP/1.0\r\n\r\n")), "item 1");
  release_slow_ = true;
  EXPECT_EQ(slow.get(), "slow done");
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  int a = testing::ConnectLoopback(port_), b = testing::ConnectLoopback(port_);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  // Both held by the server (idle); a third is refused at once.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string third = Request(port_, "GET /items/1 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(third.rfind("HTTP/1.1 503", 0), 0u) << third;
  close(a);
  close(b);
}

TEST_F(HttpServerTest, StopClosesTheListener) {
  StartServer();
  EXPECT_EQ(Body(Request(port_, "GET /items/1 HTTP/1.0\r\n\r\n")), "item 1");
  server_->Stop();
  EXPECT_EQ(Request(port_, "GET /items/1 HTTP/1.0\r\n\r\n"), "");
}

TEST(HttpServerBindTest, BusyPortAndBadHostAreErrors) {
  auto handler = [](const HttpRequest&) { return HttpResponse{}; };
  HttpServer first(handler);
  auto port = first.Bind("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  HttpServer second(handler);
  auto busy = second.Bind("127.0.0.1", *port);
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.status().message().find("cannot listen on 127.0.0.1:" + std::to_string(*port)),
            std::string::npos);
  HttpServer third(handler);
  EXPECT_EQ(third.Bind("not-an-ip", 0).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::server
