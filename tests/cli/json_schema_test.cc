// Every `--json` output of the CLI, produced by the real binaries, validates against its
// JSON Schema in docs/schema/ (the documented, stable shape), and every schema there is
// exercised.
#include "json_schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

const std::string kSchemaDir = std::string(CAIRN_SOURCE_DIR) + "/docs/schema";

class JsonSchemaTest : public CliTest {
 protected:
  // Runs the command with --json and validates its output against `schema`.
  json ExpectValid(std::vector<std::string> args, const std::string& schema,
                   const std::string& input = "") {
    args.push_back("--json");
    RunResult r = Cairn(args, input);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json doc = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    ExpectMatches(schema, doc);
    return doc;
  }
  void ExpectMatches(const std::string& schema, const json& doc) {
    used_.insert(schema);
    for (const auto& error : validator_.Validate(schema, doc)) {
      ADD_FAILURE() << schema << ": " << error << "\n" << doc.dump(2);
    }
  }

  JsonSchemaValidator validator_{kSchemaDir};
  std::set<std::string> used_;
};

TEST(JsonSchemaValidatorTest, RejectsWhatTheSchemaForbids) {
  JsonSchemaValidator v(kSchemaDir);
  EXPECT_TRUE(
      v.Validate("table-list.json", json::parse(R"([{"id":1,"name":"t","created_epoch":5}])"))
          .empty());
  EXPECT_FALSE(
      v.Validate("table-list.json", json::parse(R"([{"id":"1","name":"t","created_epoch":5}])"))
          .empty());  // wrong type
  EXPECT_FALSE(v.Validate("table-list.json", json::parse(R"([{"id":1,"name":"t"}])")).empty());
  EXPECT_FALSE(
      v.Validate("table-list.json", json::parse(R"([{"id":1,"name":"t","created_epoch":5,"x":1}])"))
          .empty());  // unexpected field
  EXPECT_FALSE(v.Validate("backup-verify.json",
                          json::parse(R"({"id":1,"records":1,"sst_count":0,"deep":false,
                                          "ssts_checked":0,"bytes_read":0,"ok":false})"))
                   .empty());  // enum
  EXPECT_FALSE(v.Validate("backup-schedule-show.json", json::parse(R"({"schedule":{"every":"1s"},
      "next_run":null,"last_run":null,"last_success":null,"runs":0,"failures":0})"))
                   .empty());  // $ref inside anyOf
  EXPECT_FALSE(v.Validate("no-such-schema.json", json::object()).empty());
}

TEST_F(JsonSchemaTest, EveryJsonOutputMatchesItsSchema) {
  StartServer();
  ExpectValid({"backup", "list"}, "backup-list.json");  // no backups yet
  ExpectValid({"backup", "schedule", "show"}, "backup-schedule-show.json");
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "k", "v"}));
  ExpectOk(Cairn({"user", "create", "dave"}, "pw\n"));
  ExpectValid({"status"}, "status.json");
  ExpectValid({"param", "list"}, "param-list.json");
  ExpectValid({"table", "list"}, "table-list.json");
  ExpectValid({"user", "list"}, "user-list.json");
  RunResult scan = Cairn({"scan", "t", "--json"});
  ExpectOk(scan);
  for (const auto& line : Lines(scan.out)) ExpectMatches("scan-row.json", json::parse(line));

  json backup = ExpectValid({"backup", "create", "--remarks", "schema"}, "backup.json");
  std::string id = std::to_string(backup["id"].get<uint64_t>());
  ExpectValid({"backup", "show", id}, "backup.json");
  // Reads served from a backup carry "backup" (docs/pitr.md).
  EXPECT_FALSE(ExpectValid({"get", "t", "k"}, "get.json").contains("backup"));
  EXPECT_EQ(ExpectValid({"get", "t", "k", "--backup", id}, "get.json")["backup"], backup["id"]);
  RunResult from_backup = Cairn({"scan", "t", "--backup", id, "--json"});
  ExpectOk(from_backup);
  for (const auto& line : Lines(from_backup.out)) {
    EXPECT_EQ(json::parse(line)["backup"], backup["id"]);
    ExpectMatches("scan-row.json", json::parse(line));
  }
  ExpectValid({"backup", "verify", id}, "backup-verify.json");
  ExpectValid({"backup", "verify", id, "--deep"}, "backup-verify.json");
  json list = ExpectValid({"backup", "list"}, "backup-list.json");
  EXPECT_EQ(list["backups"].size(), 1u);
  ExpectValid({"backup", "schedule", "set", "--every", "1h", "--keep-daily", "7"},
              "backup-schedule.json");
  json show = ExpectValid({"backup", "schedule", "show"}, "backup-schedule-show.json");
  EXPECT_EQ(show["schedule"]["keep_daily"], 7);

  // Every schema is checked against real output (recoverable-range.json through $ref).
  used_.insert("recoverable-range.json");
  for (const auto& entry : std::filesystem::directory_iterator(kSchemaDir)) {
    EXPECT_TRUE(used_.count(entry.path().filename().string())) << entry.path();
  }
}

}  // namespace
}  // namespace cairn::testing
