// cairn user create NAME [--password-file F] | user grant NAME read|write|admin
//   | user list [--json] | user drop NAME
// The password is read from --password-file or, without it, from the first line of
// stdin (with echo off on a terminal); it is never taken from the command line, where
// other users could read it in the process list.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/format.h"
#include "meta/time_spec.h"
#include "meta/users.h"
#include "server/token_file.h"

namespace cairn::cli {
namespace {

struct UserArgs {
  std::string name, password_file, privilege;
  bool json = false;
};

std::string TrimNewline(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

Result<std::string> ReadPassword(const std::string& password_file) {
  std::string line;
  if (!password_file.empty()) return ReadPasswordFile(password_file);
  const bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << "password: " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~ECHO;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  bool read = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!read) return Status::InvalidArgument("no password on stdin (or use --password-file)");
  return TrimNewline(line);
}

Status RunCreate(const GlobalOptions& global, const UserArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(std::string password, ReadPassword(args.password_file));
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::CreateUserRequest request;
  request.set_name(args.name);
  request.set_password(password);
  rpc::CreateUserResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->users().Create(client->Context().get(), request, &response)));
  std::cout << "created user " << args.name << "\n";
  return Status::OK();
}

Status RunGrant(const GlobalOptions& global, const UserArgs& args) {
  CAIRN_RETURN_IF_ERROR(ParsePrivilege(args.privilege).status());
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::GrantUserRequest request;
  request.set_name(args.name);
  request.set_privilege(args.privilege);
  rpc::GrantUserResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->users().Grant(client->Context().get(), request, &response)));
  std::cout << "user " << args.name << " has " << args.privilege << " privilege\n";
  return Status::OK();
}

Status RunDrop(const GlobalOptions& global, const UserArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::DropUserRequest request;
  request.set_name(args.name);
  rpc::DropUserResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->users().Drop(client->Context().get(), request, &response)));
  std::cout << "dropped user " << args.name << "\n";
  return Status::OK();
}

Status RunList(const GlobalOptions& global, const UserArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::ListUsersRequest request;
  rpc::ListUsersResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->users().List(client->Context().get(), request, &response)));
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& u : response.users()) {
      std::vector<std::string> privileges(u.privileges().begin(), u.privileges().end());
      out.push_back({{"name", u.name()},
                     {"created", FormatRfc3339Millis(u.created_ms())},
                     {"privileges", privileges}});
    }
    PrintJson(out);
    return Status::OK();
  }
  for (const auto& u : response.users()) std::cout << u.name() << "\n";
  return Status::OK();
}

}  // namespace

void RegisterUserCommands(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto args = std::make_shared<UserArgs>();
  auto bind = [&global, action, args](CLI::App* cmd,
                                      Status (*run)(const GlobalOptions&, const UserArgs&)) {
    cmd->callback([&global, action, args, run] {
      *action = [&global, args, run] { return run(global, *args); };
    });
  };
  auto* user = app.add_subcommand("user", "create, list and drop users");
  user->require_subcommand(1);
  auto* create = user->add_subcommand(
      "create",
      "create a user with read privilege; the password is read from --password-file or stdin");
  create->add_option("NAME", args->name)->required();
  create->add_option("--password-file", args->password_file,
                     "file whose first line is the password");
  bind(create, RunCreate);
  auto* grant = user->add_subcommand(
      "grant", "set a user's privilege: read (reads), write (reads and writes) or admin (all)");
  grant->add_option("NAME", args->name)->required();
  grant->add_option("PRIVILEGE", args->privilege, "read, write or admin")->required();
  bind(grant, RunGrant);
  auto* drop = user->add_subcommand("drop", "drop a user");
  drop->add_option("NAME", args->name)->required();
  bind(drop, RunDrop);
  auto* list = user->add_subcommand("list", "print user names");
  list->add_flag("--json", args->json, "print JSON");
  bind(list, RunList);
}

}  // namespace cairn::cli
