// A tiny HTTP/1.1 server for S3 client tests: answers every request with the next
// scripted reply (the last one repeats) and records what it received. Needed because
// s3rver does not verify SigV4 signatures, so credential errors must be played back.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {

struct FakeReply {
  int status = 200;
  std::string body;
  std::vector<std::string> headers = {};  // "Name: value"
};

struct FakeRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class S3FakeServer {
 public:
  explicit S3FakeServer(std::vector<FakeReply> replies) : replies_(std::move(replies)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Port 0: the kernel picks a free port while we hold it (no race).
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~S3FakeServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      FakeRequest request;
      if (ReadRequest(fd, &request)) {
        FakeReply reply;
        {
          std::lock_guard<std::mutex> lock(mu_);
          reply = replies_[std::min(requests_.size(), replies_.size() - 1)];
          requests_.push_back(request);
        }
        WriteReply(fd, reply, request.method == "HEAD");
      }
      close(fd);
    }
  }

  static bool ReadRequest(int fd, FakeRequest* request) {
    std::string data;
    char buf[65536];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return false;
      data.append(buf, n);
    }
    std::string head = data.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    request->method = first.substr(0, first.find(' '));
    request->target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
    size_t pos = line_end;
    while (pos != std::string::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t start = line.find_first_not_of(' ', colon + 1);
        request->headers[name] = start == std::string::npos ? "" : line.substr(start);
      }
      pos = next;
    }
    if (request->headers["expect"] == "100-continue") {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (write(fd, kContinue, sizeof(kContinue) - 1) < 0) return false;
    }
    size_t length = 0;
    if (auto it = request->headers.find("content-length"); it != request->headers.end()) {
      length = std::stoul(it->second);
    }
    request->body = data.substr(header_end + 4);
    while (request->body.size() < length) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return false;
      request->body.append(buf, n);
    }
    return true;
  }

  static void WriteReply(int fd, const FakeReply& reply, bool head) {
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n";
    for (const auto& header : reply.headers) out += header + "\r\n";
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!head) out += reply.body;
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = write(fd, out.data() + done, out.size() - done);
      if (n <= 0) return;
      done += n;
    }
  }

  std::vector<FakeReply> replies_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<FakeRequest> requests_;
};

}  // namespace cairn::testing
