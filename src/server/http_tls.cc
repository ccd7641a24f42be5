#include "server/http_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include "common/logging.h"

namespace cairn::server {
namespace {

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

class TlsTransport final : public HttpTransport {
 public:
  TlsTransport(int fd, SSL* ssl) : HttpTransport(fd), ssl_(ssl) {}
  ~TlsTransport() override {
    if (SSL_is_init_finished(ssl_)) (void)SSL_shutdown(ssl_);  // best effort: close_notify
    SSL_free(ssl_);
  }

  IoResult Read(char* buf, size_t n) override {
    size_t got = 0;
    if (SSL_read_ex(ssl_, buf, n, &got) == 1) return {IoResult::kOk, got};
    return Failed(SSL_get_error(ssl_, 0));
  }
  IoResult Write(const char* buf, size_t n) override {
    size_t sent = 0;
    if (SSL_write_ex(ssl_, buf, n, &sent) == 1) return {IoResult::kOk, sent};
    return Failed(SSL_get_error(ssl_, 0));
  }

 private:
  static IoResult Failed(int error) {
    switch (error) {
      case SSL_ERROR_WANT_READ:
        return {IoResult::kWantRead, 0};
      case SSL_ERROR_WANT_WRITE:
        return {IoResult::kWantWrite, 0};
      case SSL_ERROR_ZERO_RETURN:
        return {IoResult::kClosed, 0};
      default:
        // A plaintext client, a wrong CA, a missing client certificate: the peer's
        // problem, logged at debug only.
        CAIRN_LOG_DEBUG("HTTP TLS: {}", OpenSslError());
        return {IoResult::kError, 0};
    }
  }

  SSL* const ssl_;
};

}  // namespace

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::Open(const std::string& cert_file,
                                                                 const std::string& key_file,
                                                                 const std::string& ca_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::IOError("TLS: " + OpenSslError());
  std::shared_ptr<TlsServerContext> context(new TlsServerContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Status::InvalidArgument("--tls-cert " + cert_file + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("--tls-key " + key_file + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("--tls-key " + key_file + " does not match --tls-cert " +
                                   cert_file);
  }
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("--tls-ca " + ca_file + ": " + OpenSslError());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return context;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<HttpTransport> TlsServerContext::Wrap(int fd) {
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsTransport>(fd, ssl);
}

}  // namespace cairn::server
