// End-to-end tests of the operator features (issue 15) against the real `cairn server`:
// scheduled backups with retention, live params, background vacuum, the human
// `backup list`, and `cairn load` with large values.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

class OpsTest : public CliTest {
 protected:
  json CairnJson(std::vector<std::string> args) {
    args.push_back("--json");
    RunResult r = Cairn(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  // The value of an unlabelled sample in /metrics (-1 when absent).
  double Metric(const std::string& name) {
    std::string text = HttpGet(server_->metrics_addr(), "/metrics");
    size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
  }

  // Waits (up to 30 s) until `schedule show` reports at least `runs` runs.
  json WaitForScheduleRuns(uint64_t runs) {
    json show;
    for (int i = 0; i < 300; ++i) {
      show = CairnJson({"backup", "schedule", "show"});
      if (show.value("runs", 0u) >= runs) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GE(show.value("runs", 0u), runs) << show.dump();
    return show;
  }

  // Clears the schedule and restarts the server, so that no run is in flight.
  void ClearScheduleAndRestart() {
    ExpectOk(Cairn({"backup", "schedule", "clear"}));
    EXPECT_EQ(server_->Stop(), 0);
    StartServer();
  }

  // ids of the listed backups with these remarks.
  std::set<uint64_t> BackupIds(const std::string& remarks) {
    std::set<uint64_t> ids;
    json list = CairnJson({"backup", "list"});
    for (const auto& b : list["backups"]) {
      if (b["remarks"] == remarks) ids.insert(b["id"].get<uint64_t>());
    }
    return ids;
  }

  // Two SSTs made stale by a full compaction.
  void MakeStaleSsts() {
    ExpectOk(Cairn({"table", "create", "t"}));
    ExpectOk(Cairn({"put", "t", "a", "1"}));
    ExpectOk(Cairn({"flush"}));
    ExpectOk(Cairn({"put", "t", "b", "2"}));
    ExpectOk(Cairn({"flush"}));
    ExpectOk(Cairn({"compact"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // stale epochs in the past
  }
};

TEST_F(OpsTest, BackupListOnAClusterWithoutBackupsIsEmpty) {
  StartServer();
  RunResult list = Cairn({"backup", "list"});
  ExpectOk(list);
  auto lines = Lines(list.out);
  ASSERT_EQ(lines.size(), 1u) << list.out;
  EXPECT_EQ(lines[0].rfind("ID  CREATED", 0), 0u) << list.out;
  json doc = CairnJson({"backup", "list"});
  EXPECT_TRUE(doc["backups"].is_array() && doc["backups"].empty()) << doc.dump();
  EXPECT_TRUE(doc["recoverable_range"].is_null()) << doc.dump();
}

TEST_F(OpsTest, BackupListIsAnAlignedTableWithHumanSizes) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"load", "t", "--rows", "2000", "--value-size", "1000"}));
  ExpectOk(Cairn({"backup", "create", "--remarks", "first"}));
  ExpectOk(Cairn({"backup", "create", "--remarks", "before upgrade"}));
  RunResult list = Cairn({"backup", "list"});
  ExpectOk(list);
  auto lines = Lines(list.out);
  ASSERT_GE(lines.size(), 3u) << list.out;
  const std::string& header = lines[0];
  EXPECT_EQ(header.rfind("ID  CREATED", 0), 0u) << list.out;
  size_t timeline_col = header.find("TIMELINE"), remarks_col = header.find("REMARKS");
  ASSERT_NE(timeline_col, std::string::npos);
  ASSERT_NE(remarks_col, std::string::npos);
  EXPECT_EQ(lines[1].find("first"), remarks_col) << list.out;
  EXPECT_EQ(lines[2].find("before upgrade"), remarks_col) << list.out;
  EXPECT_EQ(lines[1].substr(timeline_col, 2), "1 ") << list.out;
  // ~2 MB of values: the SST column reads in MiB, never in raw bytes.
  EXPECT_NE(lines[1].find(" MiB"), std::string::npos) << list.out;
  EXPECT_EQ(lines[1].find(" bytes"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("# recoverable range: "), std::string::npos) << list.out;
}

TEST_F(OpsTest, ScheduleBadInputIsRefusedAndNothingIsStored) {
  StartServer();
  ExpectError(Cairn({"backup", "schedule", "set", "--every", "0"}), "--every 0 is out of range");
  ExpectError(Cairn({"backup", "schedule", "set", "--every", "1.5h"}), "--every");
  ExpectError(Cairn({"backup", "schedule", "set", "--every", "400d"}), "out of range");
  ExpectError(Cairn({"backup", "schedule", "set", "--every", "1m", "--keep-last", "0"}),
              "keeps no backup");
  ExpectError(Cairn({"backup", "schedule", "set", "--every", "1m", "--keep-last", "0",
                     "--keep-daily", "0"}),
              "keeps no backup");
  for (auto args : std::vector<std::vector<std::string>>{
           {"backup", "schedule", "set", "--every", "1m", "--keep-last", "-1"},
           {"backup", "schedule", "set", "--keep-last", "3"}}) {
    RunResult r = Cairn(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  }
  ExpectError(Cairn({"backup", "schedule", "clear"}), "no backup schedule");
  ExpectError(Cairn({"backup", "create", "--remarks", "scheduled"}), "reserved");
  json show = CairnJson({"backup", "schedule", "show"});
  EXPECT_TRUE(show["schedule"].is_null()) << show.dump();
  EXPECT_EQ(show["runs"], 0) << show.dump();
  EXPECT_TRUE(BackupIds("scheduled").empty());
}

TEST_F(OpsTest, ScheduleChangesNeedTheToken) {
  std::string token_file = dir_.Sub("token");
  WriteFile(token_file, "t0ken-value-123\n");
  StartServer({"--auth-token-file", token_file});
  ExpectError(Cairn({"backup", "schedule", "set", "--every", "1h"}), "permission denied");
  // Showing the schedule is admin-only too (docs/server.md, "Auth").
  ExpectError(Cairn({"backup", "schedule", "show"}), "permission denied");
  EXPECT_TRUE(CairnJson({"backup", "schedule", "show", "--auth-token-file", token_file})["schedule"]
                  .is_null());
  ExpectOk(Cairn({"backup", "schedule", "set", "--every", "1h", "--auth-token-file", token_file}));
  ExpectError(Cairn({"backup", "schedule", "clear"}), "permission denied");
  EXPECT_EQ(CairnJson({"backup", "schedule", "show", "--auth-token-file",
                       token_file})["schedule"]["every"],
            "1h");
}

TEST_F(OpsTest, ScheduledBackupsAppearAndRetentionKeepsTheNewest) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"backup", "create", "--remarks", "by hand"}));
  RunResult set = Cairn({"backup", "schedule", "set", "--every", "1s", "--keep-last", "2"});
  ExpectOk(set);
  EXPECT_EQ(set.out, "backup schedule: every 1s, keep last 2\n");
  json show = WaitForScheduleRuns(4);
  EXPECT_EQ(show["schedule"]["every"], "1s");
  EXPECT_EQ(show["schedule"]["keep_last"], 2);
  EXPECT_TRUE(show["last_run"]["ok"].get<bool>()) << show.dump();
  EXPECT_GE(Metric("cairn_backup_schedule_runs_total"), 4);
  EXPECT_GT(Metric("cairn_backup_last_success_timestamp_seconds"), 1.7e9);
  EXPECT_EQ(Metric("cairn_backup_schedule_failures_total"), 0);
  EXPECT_EQ(Metric("cairn_backup_schedule_interval_seconds"), 1);
  std::string log = server_->log();
  EXPECT_NE(log.find("scheduled backup"), std::string::npos) << log;
  EXPECT_NE(log.find("retention deleted backups"), std::string::npos) << log;

  ClearScheduleAndRestart();
  std::set<uint64_t> scheduled = BackupIds("scheduled");
  ASSERT_EQ(scheduled.size(), 2u);
  uint64_t newest = *scheduled.rbegin();
  EXPECT_GE(newest, 5u);  // backup 1 by hand, then at least 4 scheduled
  EXPECT_EQ(scheduled, (std::set<uint64_t>{newest - 1, newest}));
  EXPECT_EQ(BackupIds("by hand"), std::set<uint64_t>{1});  // retention never deletes it
  json after = CairnJson({"backup", "schedule", "show"});
  EXPECT_TRUE(after["schedule"].is_null()) << after.dump();
}

TEST_F(OpsTest, RetentionKeepsTheOldestBackupThePitrWindowNeeds) {
  StartServer();
  ExpectOk(Cairn({"param", "set", "pitr_retention", "1h"}));
  ExpectOk(Cairn({"backup", "schedule", "set", "--every", "1s", "--keep-last", "1"}));
  WaitForScheduleRuns(3);
  ClearScheduleAndRestart();
  // Every backup is younger than the 1h window: a restore to its oldest instants starts
  // at the first one, so retention kept it besides the newest.
  std::set<uint64_t> scheduled = BackupIds("scheduled");
  ASSERT_EQ(scheduled.size(), 2u);
  EXPECT_EQ(*scheduled.begin(), 1u);
  EXPECT_GE(*scheduled.rbegin(), 3u);
  json list = CairnJson({"backup", "list"});
  EXPECT_FALSE(list["recoverable_range"].is_null()) << list.dump();
}

TEST_F(OpsTest, ParamSetTakesEffectAtOnce) {
  StartServer();
  MakeStaleSsts();
  RunResult kept = Cairn({"vacuum"});
  ExpectOk(kept);
  EXPECT_EQ(kept.out.rfind("deleted 0 objects", 0), 0u) << kept.out;  // vacuum_min_age 6h
  ExpectOk(Cairn({"param", "set", "vacuum_min_age", "0"}));
  RunResult reclaimed = Cairn({"vacuum"});
  ExpectOk(reclaimed);
  EXPECT_EQ(reclaimed.out.rfind("deleted ", 0), 0u) << reclaimed.out;
  EXPECT_EQ(reclaimed.out.rfind("deleted 0 objects", 0), std::string::npos) << reclaimed.out;
  ExpectOk(Cairn({"scan", "t"}));

  ExpectOk(Cairn({"param", "set", "checkpoint_interval", "250ms"}));
  ExpectOk(Cairn({"param", "set", "pitr_retention", "10m"}));
  EXPECT_EQ(Metric("cairn_checkpoint_interval_seconds"), 0.25);
  EXPECT_EQ(Metric("cairn_pitr_retention_seconds"), 600);
  RunResult list = Cairn({"param", "list"});
  EXPECT_NE(list.out.find("checkpoint_interval\t250ms\n"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("vacuum_interval\t10m\t(default)\n"), std::string::npos) << list.out;
  ExpectError(Cairn({"param", "set", "vacuum_interval", "500ms"}), "out of range");
}

TEST_F(OpsTest, BackgroundVacuumRunsEveryVacuumInterval) {
  StartServer();
  ExpectOk(Cairn({"param", "set", "vacuum_min_age", "0"}));
  MakeStaleSsts();
  EXPECT_EQ(Metric("cairn_vacuum_deleted_objects_total"), 0);  // default interval: 10m
  EXPECT_EQ(Metric("cairn_vacuum_interval_seconds"), 600);
  ExpectOk(Cairn({"param", "set", "vacuum_interval", "1s"}));
  double deleted = 0;
  for (int i = 0; i < 150 && deleted <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    deleted = Metric("cairn_vacuum_deleted_objects_total");
  }
  EXPECT_GT(deleted, 0);
  EXPECT_GE(Metric("cairn_vacuum_runs_total"), 1);
  EXPECT_EQ(Metric("cairn_vacuum_failures_total"), 0);
  ExpectOk(Cairn({"param", "set", "vacuum_interval", "0"}));
  EXPECT_EQ(Metric("cairn_vacuum_interval_seconds"), 0);
}

TEST_F(OpsTest, LoadBatchesByBytes) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  RunResult load = Cairn({"load", "t", "--rows", "3", "--value-size", "4194304"});
  ExpectOk(load);
  EXPECT_EQ(load.out, "loaded 3 rows into t\n");
  RunResult get = Cairn({"get", "t", "k0000000002"});
  ExpectOk(get);
  EXPECT_EQ(get.out.size(), 4194304u + 1);
}

TEST_F(OpsTest, MaxBackgroundCompactionsIsAFlagAndAConfigKey) {
  std::string config = dir_.Sub("cairn.toml");
  WriteFile(config, "max_background_compactions = \"3\"\n");
  StartServer({"--config", config});
  ExpectOk(Cairn({"table", "create", "t"}));
  for (const char* k : {"a", "b", "c"}) {
    ExpectOk(Cairn({"put", "t", k, "v"}));
    ExpectOk(Cairn({"flush"}));
  }
  ExpectOk(Cairn({"compact"}));
  EXPECT_GE(Metric("cairn_compactions_total"), 1);
  EXPECT_EQ(Metric("cairn_compactions_running"), 0) << "nothing is due after a full compaction";
  RunResult get = Cairn({"get", "t", "b"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v\n");
  EXPECT_EQ(server_->Stop(), 0) << server_->log();

  auto server = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {kCairn,    "server",   "--data-dir",
                                     data_dir_, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, "", {{"CAIRN_AUTH_TOKEN_FILE", ""}}, 30);
  };
  ExpectError(server({"--max-background-compactions", "0"}), "--max-background-compactions '0'");
  ExpectError(server({"--max-background-compactions", "many"}),
              "--max-background-compactions 'many'");
  WriteFile(config, "max_background_compactions = \"65\"\n");
  ExpectError(server({"--config", config}), "'65': expected a number of compaction threads");
}

}  // namespace
}  // namespace cairn::testing
