#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cairn::server {
namespace {

std::string Request(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    (void)!write(fd, request.data(), request.size());
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

TEST(HttpServerTest, ServesHandlerResponsesOnAnEphemeralPort) {
  HttpServer server([](const std::string& path) {
    if (path == "/hello") return HttpResponse{200, "text/plain", "hi " + path + "\n"};
    return HttpResponse{404, "text/plain", "nope\n"};
  });
  auto port = server.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  ASSERT_GT(*port, 0);
  std::string ok = Request(*port, "GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("Content-Length: 10\r\n"), std::string::npos) << ok;
  EXPECT_EQ(ok.substr(ok.find("\r\n\r\n") + 4), "hi /hello\n");
  EXPECT_EQ(Request(*port, "GET /other HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 404", 0), 0u);
  EXPECT_EQ(Request(*port, "POST /hello HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 405", 0), 0u);
  server.Stop();
  EXPECT_EQ(Request(*port, "GET /hello HTTP/1.0\r\n\r\n"), "");
}

TEST(HttpServerTest, BusyPortAndBadHostAreErrors) {
  HttpServer first([](const std::string&) { return HttpResponse{}; });
  auto port = first.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  HttpServer second([](const std::string&) { return HttpResponse{}; });
  auto busy = second.Start("127.0.0.1", *port);
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.status().message().find("cannot listen on 127.0.0.1:" + std::to_string(*port)),
            std::string::npos);
  HttpServer third([](const std::string&) { return HttpResponse{}; });
  EXPECT_EQ(third.Start("not-an-ip", 0).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::server
