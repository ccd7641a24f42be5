// cairn param get NAME | param set NAME VALUE | param list [--json]
#include <iostream>

#include "cli/commands.h"
#include "cli/format.h"

namespace cairn::cli {
namespace {

struct ParamArgs {
  std::string name, value;
  bool json = false;
};

Status RunGet(const GlobalOptions& global, const ParamArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::GetParamRequest request;
  request.set_name(args.name);
  rpc::GetParamResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->params().Get(client->Context().get(), request, &response)));
  std::cout << response.param().value() << "\n";
  return Status::OK();
}

Status RunSet(const GlobalOptions& global, const ParamArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::SetParamRequest request;
  request.set_name(args.name);
  request.set_value(args.value);
  rpc::SetParamResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->params().Set(client->Context().get(), request, &response)));
  std::cout << args.name << " = " << args.value << "\n";
  return Status::OK();
}

Status RunList(const GlobalOptions& global, const ParamArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::ListParamsRequest request;
  rpc::ListParamsResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->params().List(client->Context().get(), request, &response)));
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& p : response.params()) {
      out.push_back({{"name", p.name()}, {"value", p.value()}, {"default", p.is_default()}});
    }
    PrintJson(out);
    return Status::OK();
  }
  for (const auto& p : response.params()) {
    std::cout << p.name() << "\t" << p.value() << (p.is_default() ? "\t(default)" : "") << "\n";
  }
  return Status::OK();
}

}  // namespace

void RegisterParamCommands(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto args = std::make_shared<ParamArgs>();
  auto bind = [&global, action, args](CLI::App* cmd,
                                      Status (*run)(const GlobalOptions&, const ParamArgs&)) {
    cmd->callback([&global, action, args, run] {
      *action = [&global, args, run] { return run(global, *args); };
    });
  };
  auto* param =
      app.add_subcommand("param",
                         "system params: checkpoint_interval, pitr_retention, vacuum_min_age, "
                         "backup_storage_url");
  param->require_subcommand(1);
  auto* get = param->add_subcommand("get", "print a param's value");
  get->add_option("NAME", args->name)->required();
  bind(get, RunGet);
  auto* set = param->add_subcommand("set", "set a param (durations: 0, 500ms, 30s, 6h, 7d)");
  set->add_option("NAME", args->name)->required();
  set->add_option("VALUE", args->value)->required();
  bind(set, RunSet);
  auto* list = param->add_subcommand("list", "print NAME<TAB>VALUE for every param");
  list->add_flag("--json", args->json, "print JSON");
  bind(list, RunList);
}

}  // namespace cairn::cli
