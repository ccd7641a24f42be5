// TLS for the HTTP listener (OpenSSL, TLS 1.2+), with the same PEM files as gRPC:
// certificate chain and key, and optionally a CA whose client certificates are then
// required (docs/api.md "TLS").
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "server/http_transport.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace cairn::server {

class TlsServerContext {
 public:
  // InvalidArgument naming the file and OpenSSL's reason when a file cannot be read or
  // the key does not match the certificate. `ca_file` may be empty.
  static Result<std::shared_ptr<TlsServerContext>> Open(const std::string& cert_file,
                                                        const std::string& key_file,
                                                        const std::string& ca_file);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A server-side TLS transport over the accepted non-blocking socket `fd` (owned); the
  // handshake happens in its first reads.
  std::unique_ptr<HttpTransport> Wrap(int fd);

 private:
  explicit TlsServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* const ctx_;
};

}  // namespace cairn::server
