// cairn: the one binary (design.md §7). stdout carries results, stderr `error: ...`;
// exit 0 on success, 1 on a runtime error, 2 on a usage error.
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace cairn::cli {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

int Main(int argc, char** argv) {
  CLI::App app{"cairn: an LSM storage system with metadata backup and point-in-time recovery",
               "cairn"};
  app.set_version_flag("--version", "cairn 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too

  GlobalOptions global;
  if (const char* addr = std::getenv("CAIRN_ADDR"); addr && *addr) global.addr = addr;
  app.add_option("--addr", global.addr, "server address HOST:PORT (env CAIRN_ADDR)")
      ->capture_default_str();
  app.add_option("--auth-token-file", global.auth_token_file,
                 "file holding the admin token (the server requires it, clients send it)")
      ->envname("CAIRN_AUTH_TOKEN_FILE");
  app.add_option("--user", global.user, "authenticate as this user (with --password-file)")
      ->envname("CAIRN_USER");
  app.add_option("--password-file", global.password_file,
                 "file whose first line is --user's password (mode 0600)")
      ->envname("CAIRN_PASSWORD_FILE");
  app.add_option("--tls-ca", global.tls_ca_file,
                 "connect with TLS; PEM CA that signed the server's certificate")
      ->envname("CAIRN_TLS_CA");
  app.add_option("--tls-client-cert", global.tls_cert_file,
                 "PEM client certificate, for a server started with --tls-ca")
      ->envname("CAIRN_TLS_CLIENT_CERT");
  app.add_option("--tls-client-key", global.tls_key_file, "PEM key of --tls-client-cert")
      ->envname("CAIRN_TLS_CLIENT_KEY");

  Action action;
  RegisterServerCommand(app, global, &action);
  RegisterTableCommands(app, global, &action);
  RegisterKvCommands(app, global, &action);
  RegisterLoadCommand(app, global, &action);
  RegisterAdminCommands(app, global, &action);
  RegisterParamCommands(app, global, &action);
  RegisterUserCommands(app, global, &action);
  RegisterBackupCommands(app, global, &action);
  RegisterCloneCommand(app, global, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n\n" << app.help() << std::flush;
    return kExitUsage;
  }
  if (!action) {
    std::cerr << app.help() << std::flush;
    return kExitUsage;
  }
  Status status = action();
  std::cout << std::flush;
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << std::endl;
    return kExitError;
  }
  return 0;
}

}  // namespace
}  // namespace cairn::cli

int main(int argc, char** argv) { return cairn::cli::Main(argc, argv); }
