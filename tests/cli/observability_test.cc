// The observability kit in docs/observability/ (Grafana dashboard, Prometheus alert
// rules) names only metrics that a running server exports on /metrics.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

const std::string kKitDir = std::string(CAIRN_SOURCE_DIR) + "/docs/observability";

std::set<std::string> MetricNames(const std::string& text) {
  std::set<std::string> names;
  static const std::regex kName("cairn_[a-z0-9_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

std::set<std::string> Exported(const std::string& metrics) {
  std::set<std::string> names;
  for (const auto& line : Lines(metrics)) {
    if (line.rfind("# TYPE ", 0) == 0) names.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return names;
}

class ObservabilityTest : public CliTest {};

TEST_F(ObservabilityTest, DashboardAndAlertsNameOnlyExportedMetrics) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));  // some RPC counters
  std::set<std::string> exported = Exported(HttpGet(server_->metrics_addr(), "/metrics"));
  ASSERT_GT(exported.size(), 20u);

  std::string dashboard = ReadFile(kKitDir + "/grafana-dashboard.json");
  auto doc = nlohmann::json::parse(dashboard, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "grafana-dashboard.json is not valid JSON";
  ASSERT_TRUE(doc.contains("panels"));
  std::string alerts = ReadFile(kKitDir + "/alerts.yml");
  ASSERT_NE(alerts.find("groups:"), std::string::npos);

  for (const auto& [file, text] :
       {std::pair{"grafana-dashboard.json", dashboard}, std::pair{"alerts.yml", alerts}}) {
    std::set<std::string> named = MetricNames(text);
    EXPECT_GE(named.size(), 4u) << file;
    for (const auto& name : named) {
      EXPECT_TRUE(exported.count(name))
          << file << " names " << name << ", which /metrics does not export";
    }
  }
  // The four alerts the kit promises.
  for (auto alert : {"CairnBackupOverdue", "CairnArchiveLagAboveRpo", "CairnArchiveFailing",
                     "CairnVacuumFailing"}) {
    EXPECT_NE(alerts.find(alert), std::string::npos) << alert;
  }
}

}  // namespace
}  // namespace cairn::testing
