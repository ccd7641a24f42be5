// cairn put TABLE KEY VALUE | get TABLE KEY [--as-of T | --backup ID] [--json]
// cairn delete TABLE KEY
// cairn scan TABLE [--from K] [--to K] [--limit N] [--as-of T | --backup ID] [--json]
// KEY and VALUE arguments accept the same \xNN and \\ escapes that scan prints.
#include <iostream>
#include <limits>

#include "cli/commands.h"
#include "cli/format.h"
#include "meta/time_spec.h"

namespace cairn::cli {
namespace {

struct KvArgs {
  std::string table, key, value, from, to, as_of;
  uint64_t limit = 0;
  uint64_t backup = 0;
  bool json = false;
};

Result<uint64_t> AsOfEpoch(const std::string& as_of) {
  if (as_of.empty()) return uint64_t{0};
  return ParseTimeSpecToEpoch(as_of);
}

// A read served from a backup says which, on stderr (docs/pitr.md, "Reads served from
// backups"): what the user gets is the state at that backup's cut.
void NoteBackup(const rpc::BackupSource& b, const KvArgs& args) {
  std::string why = args.backup != 0
                        ? ""
                        : "; --as-of " + args.as_of + " is older than the PITR retention window";
  std::cerr << "note: served from backup " << b.backup_id() << " at "
            << FormatRfc3339Millis(b.created_ms()) << " (the state at its cut, epoch "
            << b.cut_epoch() << why << ")\n";
}

Status RunPut(const GlobalOptions& global, const KvArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::PutRequest request;
  request.set_table(args.table);
  request.set_key(UnescapeBytes(args.key));
  request.set_value(UnescapeBytes(args.value));
  rpc::PutResponse response;
  return client->Check(client->kv().Put(client->Context().get(), request, &response));
}

Status RunGet(const GlobalOptions& global, const KvArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t epoch, AsOfEpoch(args.as_of));
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::GetRequest request;
  request.set_table(args.table);
  request.set_key(UnescapeBytes(args.key));
  request.set_as_of_epoch(epoch);
  request.set_backup_id(args.backup);
  rpc::GetResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->kv().Get(client->Context().get(), request, &response)));
  if (response.has_backup()) NoteBackup(response.backup(), args);
  if (!response.found()) {
    return Status::NotFound("key '" + args.key + "' not found in table " + args.table);
  }
  if (!args.json) {
    std::cout << EscapeBytes(response.value()) << "\n";
    return Status::OK();
  }
  nlohmann::json out{{"key", EscapeBytes(request.key())}, {"value", EscapeBytes(response.value())}};
  if (response.has_backup()) out["backup"] = response.backup().backup_id();
  std::cout << out.dump() << "\n";
  return Status::OK();
}

Status RunDelete(const GlobalOptions& global, const KvArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::DeleteRequest request;
  request.set_table(args.table);
  request.set_key(UnescapeBytes(args.key));
  rpc::DeleteResponse response;
  return client->Check(client->kv().Delete(client->Context().get(), request, &response));
}

Status RunScan(const GlobalOptions& global, const KvArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t epoch, AsOfEpoch(args.as_of));
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::ScanRequest request;
  request.set_table(args.table);
  request.set_from(UnescapeBytes(args.from));
  request.set_to(UnescapeBytes(args.to));
  request.set_limit(args.limit);
  request.set_as_of_epoch(epoch);
  request.set_backup_id(args.backup);
  auto context = client->Context(std::chrono::seconds(3600));
  auto reader = client->kv().Scan(context.get(), request);
  rpc::ScanResponse chunk;
  std::string out;
  uint64_t backup = 0;  // the backup serving the scan, named in the first message
  while (reader->Read(&chunk)) {
    if (chunk.has_backup()) {
      NoteBackup(chunk.backup(), args);
      backup = chunk.backup().backup_id();
    }
    for (const auto& row : chunk.rows()) {
      if (args.json) {
        // JSON Lines, so that a large scan streams.
        nlohmann::json line{{"key", EscapeBytes(row.key())}, {"value", EscapeBytes(row.value())}};
        if (backup != 0) line["backup"] = backup;
        out += line.dump();
      } else {
        out += EscapeBytes(row.key());
        out += '\t';
        out += EscapeBytes(row.value());
      }
      out += '\n';
    }
    std::cout << out;
    out.clear();
  }
  return client->Check(reader->Finish());
}

}  // namespace

void RegisterKvCommands(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto args = std::make_shared<KvArgs>();
  auto bind = [&global, action, args](CLI::App* cmd,
                                      Status (*run)(const GlobalOptions&, const KvArgs&)) {
    cmd->callback([&global, action, args, run] {
      *action = [&global, args, run] { return run(global, *args); };
    });
  };

  auto* put = app.add_subcommand("put", "write one key (acknowledged once durable)");
  put->add_option("TABLE", args->table)->required();
  put->add_option("KEY", args->key)->required();
  put->add_option("VALUE", args->value)->required();
  bind(put, RunPut);

  auto* get = app.add_subcommand("get", "print the value of one key");
  get->add_option("TABLE", args->table)->required();
  get->add_option("KEY", args->key)->required();
  auto* get_as_of =
      get->add_option("--as-of", args->as_of, "read as of an RFC 3339 time or an epoch");
  get->add_option("--backup", args->backup, "read backup ID (the state at its cut)")
      ->check(CLI::Range(uint64_t{1}, std::numeric_limits<uint64_t>::max()))
      ->excludes(get_as_of);
  get->add_flag("--json", args->json, "print {\"key\", \"value\"} as one JSON object");
  bind(get, RunGet);

  auto* del = app.add_subcommand("delete", "delete one key (acknowledged once durable)");
  del->add_option("TABLE", args->table)->required();
  del->add_option("KEY", args->key)->required();
  bind(del, RunDelete);

  auto* scan = app.add_subcommand("scan", "print rows as KEY<TAB>VALUE lines, in key order");
  scan->add_option("TABLE", args->table)->required();
  scan->add_option("--from", args->from, "first key (inclusive)");
  scan->add_option("--to", args->to, "end key (exclusive)");
  scan->add_option("--limit", args->limit, "at most N rows (0 = all)");
  auto* scan_as_of =
      scan->add_option("--as-of", args->as_of, "read as of an RFC 3339 time or an epoch");
  scan->add_option("--backup", args->backup, "read backup ID (the state at its cut)")
      ->check(CLI::Range(uint64_t{1}, std::numeric_limits<uint64_t>::max()))
      ->excludes(scan_as_of);
  scan->add_flag("--json", args->json, "print one JSON object per row (JSON Lines)");
  bind(scan, RunScan);
}

}  // namespace cairn::cli
