#include "server/http_transport.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace cairn::server {

HttpTransport::~HttpTransport() { ::close(fd_); }

IoResult HttpTransport::Read(char* buf, size_t n) {
  ssize_t got = ::recv(fd_, buf, n, 0);
  if (got > 0) return {IoResult::kOk, static_cast<size_t>(got)};
  if (got == 0) return {IoResult::kClosed, 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {IoResult::kWantRead, 0};
  return {IoResult::kError, 0};
}

IoResult HttpTransport::Write(const char* buf, size_t n) {
  ssize_t sent = ::send(fd_, buf, n, MSG_NOSIGNAL);
  if (sent > 0) return {IoResult::kOk, static_cast<size_t>(sent)};
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return {IoResult::kWantWrite, 0};
  }
  return {IoResult::kError, 0};
}

bool WriteAll(HttpTransport* transport, const char* data, size_t size, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t done = 0;
  while (done < size) {
    IoResult r = transport->Write(data + done, size - done);
    if (r.kind == IoResult::kOk) {
      done += r.n;
      continue;
    }
    if (r.kind != IoResult::kWantRead && r.kind != IoResult::kWantWrite) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd pfd{transport->fd(),
               static_cast<short>(r.kind == IoResult::kWantRead ? POLLIN : POLLOUT), 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR) return false;
  }
  return true;
}

}  // namespace cairn::server
