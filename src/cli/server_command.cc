// cairn server [--data-dir D] [--listen ADDR] [--http-listen ADDR] [--meta-store URL]
//              [--object-store URL] [--backup-storage URL] [--config FILE]
//              [--auth-token-file F] [--log-level L] [--lease-ttl DURATION]
//              [--max-changelog-backlog N] [--shutdown-grace DURATION]
//              [--max-background-compactions N]
//              [--tls-cert F --tls-key F [--tls-ca F]] [--allow-core-dumps]
//              [--backup-encryption-key-file F]...
#include "cli/backup_key_option.h"
#include "cli/commands.h"
#include "server/backup_key_file.h"
#include "server/server.h"

namespace cairn::cli {

void RegisterServerCommand(CLI::App& app, const GlobalOptions& global, Action* action) {
  struct Args {
    server::ServerOptions flags;
    std::string config;
    std::vector<std::string> backup_key_files;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("server", "run the cairn server (gRPC API, /metrics, /healthz)");
  auto& f = args->flags;
  cmd->add_option("--data-dir", f.data_dir,
                  "embedded defaults: sqlite://D/meta.db, fs://D/data, fs://D/backup");
  cmd->add_option("--listen", f.listen, "gRPC address HOST:PORT (default 127.0.0.1:7600)");
  cmd->add_option("--http-listen", f.http_listen,
                  "/metrics and /healthz address HOST:PORT (default 127.0.0.1:0)");
  cmd->add_option("--meta-store", f.meta_store, "meta store URL (sqlite://, postgres://, ...)");
  cmd->add_option("--object-store", f.object_store, "object store URL (fs://, s3://, ...)");
  cmd->add_option("--backup-storage", f.backup_storage, "backup storage URL");
  cmd->add_option("--config", args->config, "TOML config file; flags override it");
  cmd->add_option("--log-level", f.log_level, "debug, info, warn or error (default info)");
  cmd->add_option("--lease-ttl", f.lease_ttl,
                  "writer lease TTL, e.g. 15s or 1500ms (default 15s, 1s to 1h)");
  cmd->add_option("--max-changelog-backlog", f.max_changelog_backlog,
                  "refuse writes while more changelog records than this are not archived "
                  "to backup storage (default 100000, 0 = no limit)");
  cmd->add_option("--shutdown-grace", f.shutdown_grace,
                  "at SIGTERM, how long in-flight RPCs may run before blocked writes fail "
                  "(default 30s; the process exits at most 10s later)");
  cmd->add_option("--max-background-compactions", f.max_background_compactions,
                  "compaction threads: compactions of disjoint key ranges run concurrently "
                  "(default 2, 1 to 64)");
  cmd->add_option("--tls-cert", f.tls_cert_file, "PEM certificate chain: serve TLS");
  cmd->add_option("--tls-key", f.tls_key_file, "PEM private key of --tls-cert");
  cmd->add_option("--tls-ca", f.tls_ca_file,
                  "PEM CA certificates: require client certificates signed by them");
  cmd->add_flag("--allow-core-dumps", f.allow_core_dumps,
                "debugging: let the process dump core (the dump may hold secrets)");
  AddBackupKeyFileOption(cmd, &args->backup_key_files);
  // --auth-token-file is a global option: the server requires the token it names,
  // clients send it.
  cmd->callback([&global, action, args] {
    *action = [&global, args] {
      server::ServerOptions flags = args->flags;
      flags.auth_token_file = global.auth_token_file;
      flags.backup_key_files = JoinKeyFileList(args->backup_key_files);
      return server::RunServer(flags, args->config);
    };
  });
}

}  // namespace cairn::cli
