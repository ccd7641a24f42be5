#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace cairn::testing {

HttpResult HttpCall(const std::string& host_port, const std::string& method,
                    const std::string& path, const std::string& body,
                    const std::map<std::string, std::string>& headers) {
  size_t colon = host_port.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(host_port.c_str() + colon + 1)));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  HttpResult result;
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string request =
        method + " " + path + " HTTP/1.1\r\nHost: " + host_port +
        "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n" + body;
    (void)!write(fd, request.data(), request.size());
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return result;
  result.code = std::atoi(response.c_str() + 9);
  size_t line = response.find("\r\n") + 2;
  while (line < head_end) {
    size_t end = response.find("\r\n", line);
    std::string header = response.substr(line, end - line);
    size_t sep = header.find(": ");
    std::string name = header.substr(0, sep);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (sep != std::string::npos) result.headers[name] = header.substr(sep + 2);
    line = end + 2;
  }
  result.body = response.substr(head_end + 4);
  return result;
}

}  // namespace cairn::testing
