// cairn backup schedule set --every D [--keep-last N] [--keep-hourly N] [--keep-daily N]
// [--keep-weekly N] | show [--json] | clear: the server's backup schedule
// (docs/cli.md "backup schedule"; the policy is backup/schedule_policy.h).
#include <algorithm>
#include <iostream>

#include "backup/schedule_policy.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "meta/duration.h"
#include "meta/time_spec.h"

namespace cairn::cli {
namespace {

struct SetArgs {
  std::string every;
  // -1 = not given (the flags reject negative values).
  int64_t keep_last = -1, keep_hourly = -1, keep_daily = -1, keep_weekly = -1;
  bool json = false, copy_data = false;
};

// Client-side checks, before anything is sent: the server validates again.
Result<rpc::BackupSchedule> ScheduleFromArgs(const SetArgs& args) {
  auto every = ParseDurationMs(args.every);
  if (!every.ok()) return every.status().WithContext("--every");
  BackupSchedule s;
  s.every_ms = *every;
  s.keep_last = std::max<int64_t>(0, args.keep_last);
  s.keep_hourly = std::max<int64_t>(0, args.keep_hourly);
  s.keep_daily = std::max<int64_t>(0, args.keep_daily);
  s.keep_weekly = std::max<int64_t>(0, args.keep_weekly);
  CAIRN_RETURN_IF_ERROR(ValidateSchedule(s));
  bool any_keep =
      std::max({args.keep_last, args.keep_hourly, args.keep_daily, args.keep_weekly}) >= 0;
  if (any_keep && s.KeepsAll()) {
    return Status::InvalidArgument(
        "this retention keeps no backup: give at least one --keep-* above 0 (or none to keep "
        "every scheduled backup)");
  }
  rpc::BackupSchedule out;
  out.set_every_ms(s.every_ms);
  out.set_keep_last(s.keep_last);
  out.set_keep_hourly(s.keep_hourly);
  out.set_keep_daily(s.keep_daily);
  out.set_keep_weekly(s.keep_weekly);
  out.set_copy_data(args.copy_data);
  return out;
}

std::string RetentionText(const rpc::BackupSchedule& s) {
  std::string out;
  auto add = [&](const char* what, int64_t n) {
    if (n > 0) out += (out.empty() ? "keep " : ", ") + std::string(what) + " " + std::to_string(n);
  };
  add("last", s.keep_last());
  add("hourly", s.keep_hourly());
  add("daily", s.keep_daily());
  add("weekly", s.keep_weekly());
  if (out.empty()) out = "keep every scheduled backup";
  return s.copy_data() ? out + "; self-contained backups (--copy-data)" : out;
}

nlohmann::json ScheduleJson(const rpc::BackupSchedule& s) {
  return {{"every", FormatDurationMs(s.every_ms())},
          {"every_ms", s.every_ms()},
          {"keep_last", s.keep_last()},
          {"keep_hourly", s.keep_hourly()},
          {"keep_daily", s.keep_daily()},
          {"keep_weekly", s.keep_weekly()},
          {"set", FormatRfc3339Millis(s.set_ms())},
          {"copy_data", s.copy_data()}};
}

nlohmann::json TimeOrNull(int64_t ms) {
  return ms > 0 ? nlohmann::json(FormatRfc3339Millis(ms)) : nlohmann::json(nullptr);
}

nlohmann::json ShowJson(const rpc::ShowBackupScheduleResponse& r) {
  nlohmann::json last_run = nullptr;
  if (r.has_last_run()) {
    const auto& run = r.last_run();
    last_run = {{"started", FormatRfc3339Millis(run.started_ms())},
                {"duration_ms", run.duration_ms()},
                {"ok", run.ok()},
                {"error", run.error()},
                {"backup_id", run.backup_id()},
                {"expired", nlohmann::json(std::vector<uint64_t>(run.expired().begin(),
                                                                 run.expired().end()))}};
  }
  return {{"schedule", r.has_schedule() ? ScheduleJson(r.schedule()) : nlohmann::json(nullptr)},
          {"next_run", TimeOrNull(r.next_due_ms())},
          {"last_run", last_run},
          {"last_success", TimeOrNull(r.last_success_ms())},
          {"runs", r.runs()},
          {"failures", r.failures()}};
}

void PrintShow(const rpc::ShowBackupScheduleResponse& r) {
  if (!r.has_schedule()) {
    std::cout << "no backup schedule\n";
  } else {
    std::cout << "every: " << FormatDurationMs(r.schedule().every_ms()) << "\n"
              << "retention: " << RetentionText(r.schedule()) << "\n"
              << "next run: "
              << (r.next_due_ms() ? FormatRfc3339Millis(r.next_due_ms()) : "being computed")
              << "\n";
  }
  std::cout << "last scheduled backup: "
            << (r.last_success_ms() ? FormatRfc3339Millis(r.last_success_ms()) : "none") << "\n";
  if (!r.has_last_run()) {
    std::cout << "last run: none since the server started\n";
    return;
  }
  const auto& run = r.last_run();
  std::cout << "last run: " << FormatRfc3339Millis(run.started_ms()) << " "
            << (run.ok() ? "ok" : "failed: " + run.error());
  if (run.backup_id()) std::cout << ", backup " << run.backup_id();
  std::string expired;
  for (uint64_t id : run.expired()) expired += (expired.empty() ? "" : ", ") + std::to_string(id);
  std::cout << ", retention deleted " << (expired.empty() ? "none" : expired) << "\n"
            << "runs: " << r.runs() << ", failures: " << r.failures() << "\n";
}

Status RunSet(const GlobalOptions& global, const SetArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(rpc::BackupSchedule schedule, ScheduleFromArgs(args));
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::SetBackupScheduleRequest request;
  *request.mutable_schedule() = schedule;
  rpc::SetBackupScheduleResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->backups().SetSchedule(client->Context().get(), request, &response)));
  if (args.json) {
    PrintJson(ScheduleJson(response.schedule()));
  } else {
    std::cout << "backup schedule: every " << FormatDurationMs(response.schedule().every_ms())
              << ", " << RetentionText(response.schedule()) << "\n";
  }
  return Status::OK();
}

Status RunShow(const GlobalOptions& global, bool json) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::ShowBackupScheduleRequest request;
  rpc::ShowBackupScheduleResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->backups().ShowSchedule(client->Context().get(), request, &response)));
  if (json) {
    PrintJson(ShowJson(response));
  } else {
    PrintShow(response);
  }
  return Status::OK();
}

Status RunClear(const GlobalOptions& global) {
  CAIRN_ASSIGN_OR_RETURN(auto client, Client::Connect(global.client()));
  rpc::ClearBackupScheduleRequest request;
  rpc::ClearBackupScheduleResponse response;
  CAIRN_RETURN_IF_ERROR(
      client->Check(client->backups().ClearSchedule(client->Context().get(), request, &response)));
  std::cout << "backup schedule cleared\n";
  return Status::OK();
}

}  // namespace

void RegisterBackupScheduleCommands(CLI::App* backup, const GlobalOptions& global, Action* action) {
  auto* schedule = backup->add_subcommand(
      "schedule", "the server's backup schedule and retention (stored as metadata)");
  schedule->require_subcommand(1);

  auto args = std::make_shared<SetArgs>();
  auto* set = schedule->add_subcommand("set",
                                       "take a backup every DURATION; keep what the "
                                       "--keep-* flags say (all when none is given)");
  set->add_option("--every", args->every, "interval: 1s .. 366d, e.g. 30m, 6h, 1d")->required();
  auto keep = [&](const char* name, int64_t* field, const char* help) {
    set->add_option(name, *field, help)->check(CLI::Range(int64_t{0}, kMaxScheduleKeep));
  };
  keep("--keep-last", &args->keep_last, "keep the N newest scheduled backups");
  keep("--keep-hourly", &args->keep_hourly, "keep the newest of each of the last N hours");
  keep("--keep-daily", &args->keep_daily, "keep the newest of each of the last N days (UTC)");
  keep("--keep-weekly", &args->keep_weekly, "keep the newest of each of the last N weeks");
  set->add_flag("--copy-data", args->copy_data,
                "take self-contained backups (as backup create --copy-data)");
  set->add_flag("--json", args->json, "print JSON");
  set->callback(
      [&global, action, args] { *action = [&global, args] { return RunSet(global, *args); }; });

  auto json = std::make_shared<bool>(false);
  auto* show = schedule->add_subcommand("show", "print the schedule and its last run");
  show->add_flag("--json", *json, "print JSON");
  show->callback(
      [&global, action, json] { *action = [&global, json] { return RunShow(global, *json); }; });

  schedule->add_subcommand("clear", "remove the schedule (its backups stay)")
      ->callback([&global, action] { *action = [&global] { return RunClear(global); }; });
}

}  // namespace cairn::cli
