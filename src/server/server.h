// `cairn server`: opens the stores, takes the writer lease, opens the Cluster, serves
// gRPC and HTTP (/metrics, /healthz) until SIGTERM or SIGINT, then shuts down
// gracefully: in-flight RPCs finish, the in-flight checkpoint completes
// (Cluster::Close), and the lease is released.
#pragma once

#include <string>

#include "common/status.h"
#include "server/server_config.h"

namespace cairn::server {

// Runs until a shutdown signal. `config_file` may be empty. Prints
// "listening on HOST:PORT" and "metrics on http://HOST:PORT/metrics" on stdout once
// serving. Errors (bad config, unreadable token file, lease held, store failures)
// are returned before anything is served.
Status RunServer(const ServerOptions& flags, const std::string& config_file);

}  // namespace cairn::server
