#include "common/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cairn {
namespace {

// The unparsed text with any "user:password@" password replaced by "***": a URL that
// fails to parse must not leak its secret into the error.
std::string RedactUnparsed(std::string_view text) {
  std::string out(text);
  size_t start = out.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = std::min(out.find_first_of("/?", start), out.size());
  size_t at = out.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start) return out;
  size_t colon = out.find(':', start);
  if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
  return out;
}

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid URL '" + RedactUnparsed(text) + "': " + std::string(why));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status ParseQuery(std::string_view text, std::string_view query, Url* url) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq));
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key.ok() || !value.ok()) return Invalid(text, "malformed query parameter");
    url->query[*key] = *value;
  }
  return Status::OK();
}

Status ParseAuthority(std::string_view text, std::string_view authority, Url* url) {
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user.ok()) return Invalid(text, "malformed user name");
    url->user = *user;
    if (colon != std::string_view::npos) {
      auto password = PercentDecode(userinfo.substr(colon + 1));
      if (!password.ok()) return Invalid(text, "malformed password");
      url->password = *password;
    }
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value <= 0 ||
        value > 65535) {
      return Invalid(text, "port must be a number in 1..65535");
    }
    url->port = value;
  }
  url->host = std::string(authority);
  return Status::OK();
}

bool IsSecretQueryKey(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* name : {"password", "passwd", "secret", "token", "access_key", "secret_key"}) {
    if (key.find(name) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

bool HasEmbeddedCredentials(std::string_view text) {
  for (size_t pos = text.find("://"); pos != std::string_view::npos;
       pos = text.find("://", pos + 3)) {
    std::string_view rest = text.substr(pos + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#& \t\n"));
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos &&
        authority.substr(0, at).find(':') != std::string_view::npos) {
      return true;
    }
  }
  size_t query = text.find('?');
  while (query != std::string_view::npos) {
    std::string_view pair = text.substr(query + 1);
    pair = pair.substr(0, pair.find('&'));
    auto key = PercentDecode(pair.substr(0, pair.find('=')));
    if (key.ok() && IsSecretQueryKey(*key)) return true;
    query = text.find('&', query + 1);
  }
  return false;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return Status::InvalidArgument("truncated percent escape");
    }
    int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("malformed percent escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Result<Url> Url::Parse(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Invalid(text, "expected scheme://..., e.g. fs:///var/lib/cairn/data");
  }
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (char c : url.scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return Invalid(text, "malformed scheme");
    }
  }
  std::string_view rest = text.substr(sep + 3);
  size_t qmark = rest.find('?');
  if (qmark != std::string_view::npos) {
    CAIRN_RETURN_IF_ERROR(ParseQuery(text, rest.substr(qmark + 1), &url));
    rest = rest.substr(0, qmark);
  }
  size_t slash = rest.find('/');
  CAIRN_RETURN_IF_ERROR(ParseAuthority(text, rest.substr(0, slash), &url));
  if (slash != std::string_view::npos) {
    auto path = PercentDecode(rest.substr(slash));
    if (!path.ok()) return Invalid(text, "malformed path");
    url.path = *path;
  }
  return url;
}

std::string Url::Redacted() const {
  std::string out = scheme + "://";
  if (!user.empty() || !password.empty()) {
    out += user;
    if (!password.empty()) out += ":***";
    out += "@";
  }
  out += host;
  if (port) out += ":" + std::to_string(port);
  out += path;
  char sep = '?';
  for (const auto& [k, v] : query) {
    bool secret = k.find("secret") != std::string::npos ||
                  k.find("password") != std::string::npos || k.find("token") != std::string::npos;
    out += sep + k + "=" + (secret ? "***" : v);
    sep = '&';
  }
  return out;
}

std::string Url::Param(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

Result<std::string> Url::AbsolutePath() const {
  if (!host.empty()) {
    return Status::InvalidArgument("invalid URL '" + Redacted() + "': " + scheme +
                                   " URLs need an absolute path, e.g. " + scheme +
                                   ":///abs/path (got host '" + host + "')");
  }
  if (path.empty() || path == "/") {
    return Status::InvalidArgument("invalid URL '" + Redacted() + "': missing path");
  }
  return path;
}

}  // namespace cairn
