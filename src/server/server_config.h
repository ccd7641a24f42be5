// ServerOptions: `cairn server` settings from flags and an optional TOML config file.
// Flags override the file; `--data-dir D` alone supplies embedded defaults
// (sqlite://D/meta.db, fs://D/data, fs://D/backup).
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace cairn::server {

struct ServerOptions {
  // Empty means "not set" for every field; ResolveServerOptions fills defaults.
  std::string data_dir;
  std::string listen;       // gRPC, HOST:PORT (port 0 = ephemeral)
  std::string http_listen;  // /metrics, /healthz, /api/v1, the console: HOST:PORT
  std::string meta_store;
  std::string object_store;
  std::string backup_storage;
  std::string auth_token_file;
  std::string log_level;
  std::string lease_ttl;  // writer lease TTL as a duration ("15s", "1500ms")
  // Unarchived changelog records past which writes are refused (decimal; "0" = never).
  std::string max_changelog_backlog;
  // How long in-flight RPCs get at shutdown before blocked writes are failed.
  std::string shutdown_grace;
  // Compaction threads of the storage engine (decimal, 1 to kMaxBackgroundCompactions).
  std::string max_background_compactions;
  // TLS for the gRPC and HTTP listeners: PEM certificate chain and private key (both or
  // neither); with tls_ca_file, clients must present a certificate signed by that CA.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  // Backup encryption key files, comma-separated; the first seals new backups
  // (docs/backup-format.md "Encryption").
  std::string backup_key_files;

  // Resolved by ResolveServerOptions from lease_ttl and max_changelog_backlog; not
  // flags or config keys.
  int64_t lease_ttl_ms = 0;
  uint64_t max_changelog_backlog_records = 0;
  int64_t shutdown_grace_ms = 0;
  int background_compactions = 0;  // from max_background_compactions
  // --allow-core-dumps (debugging; not a config key): keep the process dumpable.
  bool allow_core_dumps = false;
};

inline constexpr int64_t kDefaultLeaseTtlMs = 15'000;
inline constexpr int64_t kMinLeaseTtlMs = 1'000;
inline constexpr int64_t kMaxLeaseTtlMs = 3'600'000;

// About a day of checkpoints at the default 1 s interval; docs/server.md.
inline constexpr uint64_t kDefaultMaxChangelogBacklog = 100'000;

inline constexpr int kDefaultBackgroundCompactions = 2;
inline constexpr int kMaxBackgroundCompactions = 64;

inline constexpr int64_t kDefaultShutdownGraceMs = 30'000;
inline constexpr int64_t kMaxShutdownGraceMs = 600'000;

inline constexpr const char* kDefaultListen = "127.0.0.1:7600";
inline constexpr const char* kDefaultHttpListen = "127.0.0.1:7601";

// Reads a TOML config file. Keys: data_dir, listen, http_listen, meta_store,
// object_store, backup_storage, auth_token_file, log_level, lease_ttl,
// max_changelog_backlog, shutdown_grace, max_background_compactions, tls_cert, tls_key, tls_ca,
// backup_encryption_key_file (a comma list) (all strings).
// Unknown keys and parse errors are InvalidArgument naming the file and line.
Result<ServerOptions> ReadConfigFile(const std::string& path);

// `flags` over `file`: every field set in `flags` wins.
ServerOptions MergeOptions(const ServerOptions& file, const ServerOptions& flags);

// Fills defaults from data_dir (creating D, D/data, D/backup), the listen addresses
// the lease TTL (lease_ttl_ms) and the backlog limit. InvalidArgument when neither
// data_dir nor both store URLs are given, lease_ttl is not a duration in [1s, 1h],
// max_changelog_backlog is not a decimal number, shutdown_grace is not a duration in
// [0s, 10m], max_background_compactions is not a number in [1, 64], only one of
// tls_cert_file and tls_key_file is set, or tls_ca_file is set
// without them.
Result<ServerOptions> ResolveServerOptions(ServerOptions options);

// Secrets stay out of argv (other users see it in `ps`): InvalidArgument when a flag's
// URL holds a password, saying where it belongs (PGPASSWORD / ~/.pgpass, or the
// config file, which must be private).
Status RejectSecretsInFlags(const ServerOptions& flags);

// The object store and backup storage URLs end up in logs and params (and the backup
// storage URL in every backup): InvalidArgument when one holds a credential.
Status RejectCredentialsInStorageUrls(const ServerOptions& options);

// Splits "HOST:PORT"; InvalidArgument naming the flag for anything else.
Status ParseHostPort(const std::string& addr, const char* what, std::string* host, int* port);

}  // namespace cairn::server
