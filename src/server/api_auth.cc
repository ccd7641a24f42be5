#include "server/api_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace cairn::server {
namespace {

// Standard base64 (with padding) -> bytes; "" for malformed input.
std::string Base64Decode(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return "";
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return "";
  size_t padding = (in.back() == '=') + (in.size() > 1 && in[in.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace

bool HttpAuth::Matches(const std::string& candidate) const {
  // Always token_.size() bytes compared in constant time: the time says nothing about
  // the candidate or the token.
  std::string padded = candidate;
  padded.resize(token_.size(), '\0');
  bool same = CRYPTO_memcmp(padded.data(), token_.data(), token_.size()) == 0;
  return same && candidate.size() == token_.size();
}

bool HttpAuth::Allows(const HttpRequest& request) const {
  if (!enabled()) return true;
  std::string header = request.Header("authorization");
  if (header.rfind("Bearer ", 0) == 0) return Matches(header.substr(7));
  if (header.rfind("Basic ", 0) == 0) {
    std::string pair = Base64Decode(header.substr(6));
    size_t colon = pair.find(':');
    return colon != std::string::npos && Matches(pair.substr(colon + 1));
  }
  return false;
}

namespace {

// An action (any method but GET) from another site's page, which a browser would send
// with the console's cached credentials: refused when the Origin is not this server
// or (POST) the body is not JSON — a cross-site form cannot send application/json.
bool CrossSite(const HttpRequest& request) {
  if (request.method == "GET") return false;
  std::string origin = request.Header("origin");
  std::string host = request.Header("host");
  if (!origin.empty() && origin != "http://" + host && origin != "https://" + host) return true;
  return request.method == "POST" &&
         request.Header("content-type").rfind("application/json", 0) != 0;
}

HttpResponse Denied(int code, const std::string& message, bool browser) {
  HttpResponse denied;
  denied.code = code;
  if (browser) {
    denied.body = std::string(ReasonPhrase(code)) + ": " + message + "\n";
  } else {
    denied.content_type = "application/json";
    denied.body = nlohmann::json{{"error", message}}.dump();
  }
  return denied;
}

}  // namespace

HttpHandler HttpAuth::Guard(HttpHandler handler, bool browser) const {
  return [this, handler = std::move(handler), browser](const HttpRequest& request) {
    if (CrossSite(request)) {
      return Denied(403, "actions need a same-origin request with a JSON body", browser);
    }
    if (Allows(request)) return handler(request);
    HttpResponse denied = Denied(
        401, "this server requires the admin token: send 'Authorization: Bearer <token>'", browser);
    // Basic for both: a browser then prompts once (the token as the password) and sends
    // the credentials with the console's API calls too.
    denied.headers.emplace_back("WWW-Authenticate", "Basic realm=\"cairn\", charset=\"UTF-8\"");
    return denied;
  };
}

}  // namespace cairn::server
