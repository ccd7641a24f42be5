#include "server/http_parser.h"

#include <cctype>
#include <charconv>
#include <string>

namespace cairn::server {
namespace {

ParseResult Error(int code, const char* why) {
  ParseResult r;
  r.state = ParseResult::kError;
  r.error_code = code;
  r.error = why;
  return r;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseQuery(std::string_view text, std::map<std::string, std::string>* out) {
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) {
      return false;
    }
    (*out)[key] = value;
  }
  return true;
}

// "METHOD TARGET HTTP/1.x": fills method, path, query and keep_alive's default.
ParseResult ParseRequestLine(std::string_view line, HttpRequest* request) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0) return Error(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!std::isupper(static_cast<unsigned char>(c))) return Error(400, "malformed method");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Error(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  if (target.empty() || target.front() != '/') return Error(400, "request target must be a path");
  size_t q = target.find('?');
  request->method = std::string(method);
  request->path.clear();
  request->query.clear();
  if (!PercentDecode(target.substr(0, q), false, &request->path) ||
      (q != std::string_view::npos && !ParseQuery(target.substr(q + 1), &request->query))) {
    return Error(400, "malformed percent-encoding in the request target");
  }
  request->keep_alive = version == "HTTP/1.1";
  return {};
}

ParseResult ParseHeaders(std::string_view text, HttpRequest* request) {
  request->headers.clear();
  while (!text.empty()) {
    size_t end = text.find("\r\n");
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Error(400, "malformed header");
    std::string name = Lower(line.substr(0, colon));
    if (name.find_first_of(" \t") != std::string::npos) return Error(400, "malformed header");
    std::string value(Trim(line.substr(colon + 1)));
    auto [it, inserted] = request->headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  return {};
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += plus_is_space && c == '+' ? ' ' : c;
    }
  }
  return true;
}

ParseResult ParseRequest(std::string_view buffer, const HttpLimits& limits, HttpRequest* request) {
  size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > limits.max_header_bytes) return Error(431, "request headers too large");
    return {};
  }
  if (head_end > limits.max_header_bytes) return Error(431, "request headers too large");
  std::string_view head = buffer.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  ParseResult r = ParseRequestLine(head.substr(0, line_end), request);
  if (r.state == ParseResult::kError) return r;
  r = ParseHeaders(line_end == std::string_view::npos ? "" : head.substr(line_end + 2), request);
  if (r.state == ParseResult::kError) return r;

  std::string connection = Lower(request->Header("connection"));
  if (connection.find("close") != std::string::npos) request->keep_alive = false;
  if (connection.find("keep-alive") != std::string::npos) request->keep_alive = true;
  if (!request->Header("transfer-encoding").empty()) {
    return Error(411, "chunked request bodies are not supported; send Content-Length");
  }
  size_t length = 0;
  std::string length_text = request->Header("content-length");
  if (!length_text.empty()) {
    auto [ptr, ec] =
        std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (ec != std::errc() || ptr != length_text.data() + length_text.size()) {
      return Error(400, "malformed Content-Length");
    }
  }
  if (length > limits.max_body_bytes) return Error(413, "request body too large");
  size_t body_begin = head_end + 4;
  if (buffer.size() - body_begin < length) return {};
  request->body = std::string(buffer.substr(body_begin, length));
  r.state = ParseResult::kComplete;
  r.consumed = body_begin + length;
  return r;
}

}  // namespace cairn::server
