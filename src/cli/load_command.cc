// cairn load TABLE --rows N [--value-size B] [--seed S]: writes N deterministic rows
// (key k0000000000.., value derived from seed and row number) in batches of at most
// 1000 rows and about 4 MiB (a batch ends at the row that reaches 4 MiB; one row of the
// 4 MiB maximum value size is a batch of its own). A row counts as loaded only once a
// checkpoint acknowledged after its batch covers it.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/load_rows.h"

namespace cairn::cli {
namespace {

constexpr uint64_t kBatchRows = 1000;
constexpr uint64_t kBatchBytes = 4 << 20;
// Every this many batches (and after the last) the client asks for a checkpoint and
// waits for it, bounding how much unacknowledged data is in flight.
constexpr uint64_t kBatchesPerCheckpoint = 20;

struct LoadArgs {
  std::string table;
  uint64_t rows = 0;
  uint64_t value_size = 100;
  uint64_t seed = 0;
};

Status RunLoad(const GlobalOptions& global, const LoadArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  const bool tty = isatty(STDERR_FILENO);
  uint64_t acknowledged = 0, batches = 0;
  for (uint64_t next = 0; next < args.rows; ++batches) {
    rpc::WriteRequest request;
    request.set_table(args.table);
    uint64_t row_limit = std::min(args.rows, next + kBatchRows);
    for (uint64_t bytes = 0; next < row_limit && bytes < kBatchBytes; ++next) {
      auto* row = request.add_puts();
      row->set_key(LoadKey(next));
      row->set_value(LoadValue(args.seed, next, args.value_size));
      bytes += row->key().size() + row->value().size();
    }
    uint64_t end = next;
    rpc::WriteResponse response;
    Status status = client->Check(
        client->kv().Write(client->Context(std::chrono::seconds(600)).get(), request, &response));
    bool checkpoint = end == args.rows || (batches + 1) % kBatchesPerCheckpoint == 0;
    if (status.ok() && checkpoint) {
      // An explicit checkpoint makes every batch so far durable now, instead of
      // waiting up to a checkpoint interval for the next periodic one.
      rpc::FlushRequest flush;
      rpc::FlushResponse flushed;
      status = client->Check(
          client->admin().Flush(client->Context(std::chrono::seconds(600)).get(), flush, &flushed));
    }
    if (!status.ok()) {
      if (tty) std::fprintf(stderr, "\n");
      // Scripts (and the SIGTERM test) learn how much is durable from this count.
      return Status(status.code(), status.message() + " (" + std::to_string(acknowledged) +
                                       " rows acknowledged before the error)");
    }
    if (!checkpoint) continue;
    acknowledged = end;
    if (tty) {
      std::fprintf(stderr, "\rloaded %llu / %llu rows",
                   static_cast<unsigned long long>(acknowledged),
                   static_cast<unsigned long long>(args.rows));
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  std::cout << "loaded " << acknowledged << " rows into " << args.table << "\n";
  return Status::OK();
}

}  // namespace

void RegisterLoadCommand(CLI::App& app, const GlobalOptions& global, Action* action) {
  auto args = std::make_shared<LoadArgs>();
  auto* load = app.add_subcommand("load", "write N deterministic rows (for tests and benchmarks)");
  load->add_option("TABLE", args->table)->required();
  load->add_option("--rows", args->rows, "number of rows")->required();
  load->add_option("--value-size", args->value_size, "value size in bytes")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{4} << 20));
  load->add_option("--seed", args->seed, "seed for the values")->capture_default_str();
  load->callback(
      [&global, action, args] { *action = [&global, args] { return RunLoad(global, *args); }; });
}

}  // namespace cairn::cli
