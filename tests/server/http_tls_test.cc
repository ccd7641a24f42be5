// TLS on the HTTP listener, with a throwaway CA made by the openssl CLI: a verified
// HTTPS request works; a plaintext client, a client trusting another CA, and (with
// --tls-ca) a client without a certificate are refused while others keep being served.
#include "server/http_tls.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>

#include "server/http_server.h"
#include "testing/test_util.h"

namespace cairn::server {
namespace {

// A CA, a server certificate for 127.0.0.1 signed by it, a client certificate signed by
// it, and an unrelated CA.
class TlsFiles {
 public:
  TlsFiles() {
    std::string d = dir_.path().string();
    std::string script =
        "set -e; cd " + d +
        "; for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
        "/CN=$ca -keyout $ca.key -out $ca.pem 2>/dev/null; done"
        "; printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
        "; for who in server client; do openssl req -newkey rsa:2048 -nodes -subj /CN=$who "
        "-keyout $who.key -out $who.csr 2>/dev/null; openssl x509 -req -in $who.csr -CA ca.pem "
        "-CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out $who.pem 2>/dev/null; done";
    std::ofstream(dir_.Sub("make.sh")) << script << "\n";
    ok_ = std::system(("bash " + dir_.Sub("make.sh")).c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string operator()(const std::string& name) const { return dir_.Sub(name); }

 private:
  testing::TempDir dir_;
  bool ok_ = false;
};

// ConnectLoopback with a 10 s receive timeout: a stuck handshake fails the test.
int Connect(int port) {
  int fd = testing::ConnectLoopback(port);
  if (fd < 0) return -1;
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// GET `path` over TLS trusting `ca`, optionally with a client certificate. The response,
// or "handshake failed: <reason>".
std::string HttpsGet(int port, const std::string& path, const std::string& ca,
                     const std::string& cert = "", const std::string& key = "") {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!cert.empty()) {
    SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
  }
  int fd = Connect(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "127.0.0.1");
  std::string out;
  if (SSL_connect(ssl) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
    out = std::string("handshake failed: ") + buf;
  } else {
    std::string request = "GET " + path + " HTTP/1.1\r\nConnection: close\r\n\r\n";
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    // TLS 1.3 sends the client-certificate verdict after the client's handshake ends.
    if (out.empty()) {
      ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
      out = std::string("handshake failed: ") + buf;
    }
  }
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
  return out;
}

class HttpTlsTest : public ::testing::Test {
 protected:
  // OpenSSL writes to sockets without MSG_NOSIGNAL; `cairn server` ignores SIGPIPE too.
  HttpTlsTest() { signal(SIGPIPE, SIG_IGN); }
  void Start(const std::string& ca_file) {
    ASSERT_TRUE(files_.ok()) << "openssl CLI failed";
    auto tls = TlsServerContext::Open(files_("server.pem"), files_("server.key"), ca_file);
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    HttpServerOptions options;
    options.request_timeout_ms = 2000;
    options.transport = [tls = *tls](int fd) { return tls->Wrap(fd); };
    server_ = std::make_unique<HttpServer>(
        [](const HttpRequest& r) {
          return HttpResponse{200, "text/plain", "tls " + r.path, {}};
        },
        options);
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    port_ = *port;
    server_->Serve();
  }

  TlsFiles files_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpTlsTest, ServesVerifiedHttpsAndRefusesPlaintextAndWrongCa) {
  Start("");
  if (HasFatalFailure()) return;
  std::string ok = HttpsGet(port_, "/x", files_("ca.pem"));
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_EQ(ok.substr(ok.find("\r\n\r\n") + 4), "tls /x");

  std::string wrong_ca = HttpsGet(port_, "/x", files_("other.pem"));
  EXPECT_NE(wrong_ca.find("certificate verify failed"), std::string::npos) << wrong_ca;

  int plain = Connect(port_);
  std::string request = "GET /x HTTP/1.1\r\n\r\n";
  ASSERT_EQ(write(plain, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  char buf[256];
  ssize_t n = read(plain, buf, sizeof(buf));
  std::string got = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  EXPECT_EQ(got.find("tls /x"), std::string::npos);  // no plaintext answer
  close(plain);

  EXPECT_EQ(HttpsGet(port_, "/y", files_("ca.pem")).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(HttpTlsTest, WithACaClientCertificatesAreRequired) {
  Start(files_("ca.pem"));
  if (HasFatalFailure()) return;
  std::string anonymous = HttpsGet(port_, "/x", files_("ca.pem"));
  EXPECT_EQ(anonymous.rfind("handshake failed", 0), 0u) << anonymous;
  std::string ok =
      HttpsGet(port_, "/x", files_("ca.pem"), files_("client.pem"), files_("client.key"));
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  // A client certificate from another CA is refused as well.
  std::string foreign =
      HttpsGet(port_, "/x", files_("ca.pem"), files_("other.pem"), files_("other.key"));
  EXPECT_EQ(foreign.rfind("handshake failed", 0), 0u) << foreign;
}

TEST(HttpTlsFilesTest, UnreadableOrMismatchedFilesAreErrors) {
  TlsFiles files;
  ASSERT_TRUE(files.ok());
  auto missing = TlsServerContext::Open(files("nope.pem"), files("server.key"), "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--tls-cert " + files("nope.pem")), std::string::npos);
  auto mismatch = TlsServerContext::Open(files("server.pem"), files("client.key"), "");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("mismatch"), std::string::npos)
      << mismatch.status().ToString();
  auto bad_ca = TlsServerContext::Open(files("server.pem"), files("server.key"), files("san.ext"));
  EXPECT_FALSE(bad_ca.ok());
}

}  // namespace
}  // namespace cairn::server
