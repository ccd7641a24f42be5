// HttpTransport: one accepted, non-blocking connection of the HTTP listener, plain TCP
// here; TLS (server/http_tls.h) overrides Read and Write. Owns the socket.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace cairn::server {

struct IoResult {
  enum Kind {
    kOk,         // n bytes moved (n > 0)
    kWantRead,   // try again when the socket is readable
    kWantWrite,  // try again when the socket is writable
    kClosed,     // the peer closed the connection
    kError,
  } kind = kOk;
  size_t n = 0;
};

class HttpTransport {
 public:
  explicit HttpTransport(int fd) : fd_(fd) {}
  virtual ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  int fd() const { return fd_; }
  virtual IoResult Read(char* buf, size_t n);
  virtual IoResult Write(const char* buf, size_t n);

 private:
  const int fd_;
};

// Wraps an accepted socket; the TLS listener's factory also starts the handshake state.
using TransportFactory = std::function<std::unique_ptr<HttpTransport>(int fd)>;

// Writes all of `data`, waiting (poll) for the socket as the transport asks, for at most
// `timeout_ms` in all. False on a timeout, a closed peer or an error.
bool WriteAll(HttpTransport* transport, const char* data, size_t size, int timeout_ms);

}  // namespace cairn::server
