#include "server/tls.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "server/token_file.h"

namespace cairn::server {

Result<std::string> ReadPemFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) {
    return Status::IOError(std::string("cannot read ") + what + " " + path + ": " +
                           std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return Status::InvalidArgument(std::string(what) + " " + path + " is not a PEM file");
  }
  return text.str();
}

Result<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const ServerOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  CAIRN_RETURN_IF_ERROR(CheckPrivateFile(options.tls_key_file, "TLS key file"));
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  CAIRN_ASSIGN_OR_RETURN(pair.private_key, ReadPemFile(options.tls_key_file, "TLS key file"));
  CAIRN_ASSIGN_OR_RETURN(pair.cert_chain,
                         ReadPemFile(options.tls_cert_file, "TLS certificate file"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_ca_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPemFile(options.tls_ca_file, "TLS CA file"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace cairn::server
