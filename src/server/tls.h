// TLS for the gRPC listener (docs/server.md, "TLS"): credentials from the PEM files
// of ServerOptions, and the check for listening in the clear off the loopback.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "server/server_config.h"

namespace cairn::server {

// Insecure credentials without tls_cert_file; otherwise TLS with that certificate and
// key (the key file must not be readable by others), and with tls_ca_file client
// certificates signed by it are required. IOError / InvalidArgument naming the file.
Result<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const ServerOptions& options);

// True for 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

// Reads a whole file (PEM); IOError naming `what` and the path.
Result<std::string> ReadPemFile(const std::string& path, const char* what);

}  // namespace cairn::server
