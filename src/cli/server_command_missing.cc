// `cairn server` while the storage engine is not part of the build: the command is
// listed, and says why it cannot run.
#include "cli/commands.h"

namespace cairn::cli {

void RegisterServerCommand(CLI::App& app, const GlobalOptions&, Action* action) {
  app.add_subcommand("server", "run the cairn server (not in this build: no storage engine)")
      ->allow_extras()
      ->callback([action] {
        *action = [] {
          return Status::NotSupported("this build has no storage engine (src/storage)");
        };
      });
}

}  // namespace cairn::cli
