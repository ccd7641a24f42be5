// cairn table create NAME | table list [--json] | table drop NAME
#include <iostream>

#include "cli/commands.h"
#include "cli/format.h"

namespace cairn::cli {

void RegisterTableCommands(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto* table = app.add_subcommand("table", "create, list and drop tables");
  table->require_subcommand(1);

  auto* create = table->add_subcommand("create", "create a table");
  auto name = std::make_shared<std::string>();
  create->add_option("NAME", *name, "table name")->required();
  create->callback([&global, action, name] {
    *action = [&global, name]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      rpc::CreateTableRequest request;
      request.set_name(*name);
      rpc::CreateTableResponse response;
      CAIRN_RETURN_IF_ERROR(
          client->Check(client->tables().Create(client->Context().get(), request, &response)));
      std::cout << "created table " << response.table().name() << " (id " << response.table().id()
                << ")\n";
      return Status::OK();
    };
  });

  auto* drop = table->add_subcommand("drop", "drop a table");
  drop->add_option("NAME", *name, "table name")->required();
  drop->callback([&global, action, name] {
    *action = [&global, name]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      rpc::DropTableRequest request;
      request.set_name(*name);
      rpc::DropTableResponse response;
      CAIRN_RETURN_IF_ERROR(
          client->Check(client->tables().Drop(client->Context().get(), request, &response)));
      std::cout << "dropped table " << *name << "\n";
      return Status::OK();
    };
  });

  auto* list = table->add_subcommand("list", "list live tables: ID<TAB>NAME per line");
  auto json = std::make_shared<bool>(false);
  list->add_flag("--json", *json, "print JSON");
  list->callback([&global, action, json] {
    *action = [&global, json]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
      rpc::ListTablesRequest request;
      rpc::ListTablesResponse response;
      CAIRN_RETURN_IF_ERROR(
          client->Check(client->tables().List(client->Context().get(), request, &response)));
      if (*json) {
        auto out = nlohmann::json::array();
        for (const auto& t : response.tables()) {
          out.push_back({{"id", t.id()}, {"name", t.name()}, {"created_epoch", t.created_epoch()}});
        }
        PrintJson(out);
        return Status::OK();
      }
      for (const auto& t : response.tables()) std::cout << t.id() << "\t" << t.name() << "\n";
      return Status::OK();
    };
  });
}

}  // namespace cairn::cli
