// The `cairn` subcommands (design.md §7). Each Register* function adds its
// subcommands to the app; parsing a subcommand stores the work to run in *action,
// which main() runs after parsing so that usage errors and runtime errors stay apart.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli/client.h"
#include "common/status.h"

namespace cairn::cli {

using Action = std::function<Status()>;

struct GlobalOptions {
  std::string addr = "127.0.0.1:7600";
  std::string auth_token_file;
  std::string user, password_file;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  ClientOptions client() const {
    return {addr, auth_token_file, user, password_file, tls_ca_file, tls_cert_file, tls_key_file};
  }
};

void RegisterServerCommand(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterTableCommands(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterKvCommands(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterLoadCommand(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterAdminCommands(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterParamCommands(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterUserCommands(CLI::App& app, const GlobalOptions& global, Action* action);
void RegisterBackupCommands(CLI::App& app, const GlobalOptions& global, Action* action);
// `backup schedule set|show|clear`, under `backup`.
void RegisterBackupScheduleCommands(CLI::App* backup, const GlobalOptions& global, Action* action);
// Offline: talks to the stores directly, not to a server.
void RegisterRestoreCommand(CLI::App& app, Action* action);
// `clone` (offline) and `clone drop` (offline); `clone detach` talks to the clone's server.
void RegisterCloneCommand(CLI::App& app, const GlobalOptions& global, Action* action);

}  // namespace cairn::cli
