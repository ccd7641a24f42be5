// The JSON API (/api/v1) and the console on a real `cairn server`, next to the CLI:
// what the API shows matches the CLI, actions need the admin token when auth is on
// (401 and nothing changes without it), unknown backups are 404 with a JSON error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_fixture.h"
#include "http_client.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

constexpr const char* kToken = "api-t0ken-value";

class ApiTest : public CliTest {
 protected:
  void StartWithToken() {
    token_file_ = dir_.Sub("token");
    WriteFile(token_file_, std::string(kToken) + "\n");
    chmod(token_file_.c_str(), 0600);
    StartServer({"--auth-token-file", token_file_});
  }
  std::map<std::string, std::string> Env() { return {{"CAIRN_AUTH_TOKEN_FILE", token_file_}}; }
  std::map<std::string, std::string> Bearer(std::map<std::string, std::string> h = {}) {
    h["Authorization"] = std::string("Bearer ") + kToken;
    return h;
  }
  HttpResult Call(const std::string& method, const std::string& path, const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) {
    if (!body.empty()) headers.emplace("Content-Type", "application/json");
    return HttpCall(server_->metrics_addr(), method, path, body, headers);
  }
  json Json(const HttpResult& r) { return json::parse(r.body, nullptr, false); }
  // `cairn backup list --json`'s backup ids.
  std::vector<uint64_t> CliBackupIds() {
    RunResult r = Cairn({"backup", "list", "--json"}, "", Env());
    ExpectOk(r);
    std::vector<uint64_t> ids;
    json list = json::parse(r.out);
    for (const auto& b : list["backups"]) ids.push_back(b["id"].get<uint64_t>());
    return ids;
  }
  void MakeData() {
    ExpectOk(Cairn({"table", "create", "t"}, "", Env()));
    for (int i = 0; i < 2; ++i) {
      ExpectOk(Cairn({"put", "t", "k" + std::to_string(i), "v"}, "", Env()));
    }
    ExpectOk(Cairn({"flush"}, "", Env()));
    ExpectOk(Cairn({"backup", "create", "--remarks", "from cli"}, "", Env()));
  }

  std::string token_file_;
};

TEST_F(ApiTest, WithoutTheTokenEverythingButHealthzIs401AndNothingChanges) {
  StartWithToken();
  MakeData();
  EXPECT_EQ(Call("GET", "/healthz").body.substr(0, 3), "ok\n");  // then one line per check
  for (const char* path : {"/", "/console.js", "/metrics", "/api/v1/status", "/api/v1/backups",
                           "/api/v1/timelines", "/api/v1/tables"}) {
    HttpResult r = Call("GET", path);
    EXPECT_EQ(r.code, 401) << path << ": " << r.body;
    EXPECT_NE(r.headers["www-authenticate"].find("Basic"), std::string::npos) << path;
  }
  std::vector<uint64_t> before = CliBackupIds();
  ASSERT_EQ(before.size(), 1u);
  std::string id = std::to_string(before[0]);
  HttpResult create = Call("POST", "/api/v1/backups", R"({"remarks":"nope"})");
  EXPECT_EQ(create.code, 401);
  EXPECT_TRUE(Json(create).contains("error")) << create.body;
  EXPECT_EQ(Call("DELETE", "/api/v1/backups/" + id, "", {{"Authorization", "Bearer wrong"}}).code,
            401);
  EXPECT_EQ(Call("POST", "/api/v1/backups/" + id + "/verify", "{}").code, 401);
  EXPECT_EQ(Call("POST", "/api/v1/vacuum", "{}", {{"Authorization", "Basic eDp3cm9uZw=="}}).code,
            401);
  EXPECT_EQ(CliBackupIds(), before);
  // With the token: Bearer for API clients, Basic (token as password) for a browser.
  EXPECT_EQ(Call("GET", "/api/v1/status", "", Bearer()).code, 200);
  std::string basic = "Basic " + std::string("YWRtaW46YXBpLXQwa2VuLXZhbHVl");  // admin:<token>
  HttpResult page = Call("GET", "/", "", {{"Authorization", basic}});
  EXPECT_EQ(page.code, 200);
  EXPECT_NE(page.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<title>cairn console</title>"), std::string::npos);
  EXPECT_NE(Call("GET", "/metrics", "", Bearer()).body.find("cairn_committed_epoch"),
            std::string::npos);
}

TEST_F(ApiTest, ShowsWhatTheCliShows) {
  StartWithToken();
  // A PITR window (the default retention 0 keeps none), in force after a restart.
  ExpectOk(Cairn({"param", "set", "pitr_retention", "1d"}, "", Env()));
  ASSERT_EQ(server_->Stop(), 0);
  StartServer({"--auth-token-file", token_file_});
  MakeData();
  json status = Json(Call("GET", "/api/v1/status", "", Bearer()));
  RunResult cli = Cairn({"status", "--json"}, "", Env());
  ExpectOk(cli);
  json cli_status = json::parse(cli.out);
  EXPECT_EQ(cli_status["http_address"], server_->metrics_addr());
  EXPECT_EQ(status["http_address"], server_->metrics_addr());
  EXPECT_EQ(status["grpc_address"], server_addr_);
  EXPECT_EQ(status["cluster_id"], cli_status["cluster_id"]);
  EXPECT_EQ(status["auth"], true);

  json tables = Json(Call("GET", "/api/v1/tables", "", Bearer()));
  ASSERT_EQ(tables["tables"].size(), 1u) << tables;
  EXPECT_EQ(tables["tables"][0]["name"], "t");

  json levels = Json(Call("GET", "/api/v1/levels", "", Bearer()));
  ASSERT_EQ(levels["levels"].size(), cli_status["levels"].size()) << levels;
  uint64_t ssts = 0;
  for (size_t i = 0; i < levels["levels"].size(); ++i) {
    EXPECT_EQ(levels["levels"][i]["sst_count"], cli_status["levels"][i]["sst_count"]);
    EXPECT_EQ(levels["levels"][i]["bytes"], cli_status["levels"][i]["bytes"]);
    ssts += levels["levels"][i]["sst_count"].get<uint64_t>();
  }
  EXPECT_GE(ssts, 1u);
  EXPECT_EQ(levels["sst_count"], ssts);

  RunResult list = Cairn({"backup", "list", "--json"}, "", Env());
  ExpectOk(list);
  json cli_backups = json::parse(list.out)["backups"];
  json backups = Json(Call("GET", "/api/v1/backups", "", Bearer()))["backups"];
  ASSERT_EQ(backups.size(), 1u);
  for (const char* field : {"id", "timeline", "sst_count", "sst_bytes", "remarks", "epoch"}) {
    EXPECT_EQ(backups[0][field], cli_backups[0][field]) << field;
  }
  EXPECT_TRUE(backups[0]["verify"].is_null());

  json timelines = Json(Call("GET", "/api/v1/timelines", "", Bearer()));
  ASSERT_EQ(timelines["timelines"].size(), 1u) << timelines;
  json t1 = timelines["timelines"][0];
  json cli_t1 = json::parse(list.out)["timelines"][0];
  EXPECT_EQ(t1["timeline"], 1);
  EXPECT_EQ(t1["recoverable"], true) << timelines;
  EXPECT_EQ(t1["from"], cli_t1["recoverable_range"]["from"]) << cli_t1;
  EXPECT_EQ(t1["backups"], json::array({backups[0]["id"]}));
  EXPECT_LE(t1["from_ms"].get<int64_t>(), t1["to_ms"].get<int64_t>());

  json archiver = Json(Call("GET", "/api/v1/archiver", "", Bearer()));
  EXPECT_EQ(archiver["configured"], true);
  EXPECT_TRUE(archiver.contains("rpo_seconds")) << archiver;
}

TEST_F(ApiTest, ActionsRoundTripWithTheCli) {
  StartWithToken();
  MakeData();
  HttpResult created = Call("POST", "/api/v1/backups", R"({"remarks":"from api"})", Bearer());
  ASSERT_EQ(created.code, 201) << created.body;
  uint64_t id = Json(created)["id"].get<uint64_t>();
  std::vector<uint64_t> ids = CliBackupIds();
  EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end());
  RunResult show = Cairn({"backup", "show", std::to_string(id), "--json"}, "", Env());
  ExpectOk(show);
  EXPECT_EQ(json::parse(show.out)["remarks"], "from api");

  std::string path = "/api/v1/backups/" + std::to_string(id);
  json verified = Json(Call("POST", path + "/verify", "{}", Bearer()));
  EXPECT_EQ(verified["ok"], true) << verified;
  EXPECT_EQ(Json(Call("GET", path, "", Bearer()))["verify"]["ok"], true);

  json vacuum = Json(Call("POST", "/api/v1/vacuum", R"({"dry_run":true})", Bearer()));
  EXPECT_EQ(vacuum["ok"], true) << vacuum;
  EXPECT_EQ(Json(Call("GET", "/api/v1/vacuum", "", Bearer()))["last_run"]["dry_run"], true);

  // {"copy_data": true}: a self-contained backup (issue 17); a non-boolean is refused.
  HttpResult copied = Call("POST", "/api/v1/backups", R"({"copy_data":true})", Bearer());
  ASSERT_EQ(copied.code, 201) << copied.body;
  EXPECT_EQ(Json(copied)["self_contained"], true) << copied.body;
  EXPECT_EQ(Json(copied)["added_ssts"], Json(copied)["sst_count"]) << copied.body;
  EXPECT_EQ(Call("POST", "/api/v1/backups", R"({"copy_data":"yes"})", Bearer()).code, 400);
  json listed = Json(Call("GET", "/api/v1/backups", "", Bearer()));
  EXPECT_EQ(listed["copy"]["copying"], false) << listed;

  HttpResult deleted = Call("DELETE", path, "", Bearer());
  EXPECT_EQ(deleted.code, 200) << deleted.body;
  ids = CliBackupIds();
  EXPECT_EQ(std::find(ids.begin(), ids.end(), id), ids.end());
  EXPECT_EQ(Call("GET", path, "", Bearer()).code, 404);
}

TEST_F(ApiTest, BadRequestsAreJsonErrorsAndChangeNothing) {
  StartWithToken();
  MakeData();
  std::vector<uint64_t> before = CliBackupIds();
  for (auto [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/backups/999"},
                                                        {"DELETE", "/api/v1/backups/999"},
                                                        {"POST", "/api/v1/backups/999/verify"}}) {
    HttpResult r = Call(method, path, method == "POST" ? "{}" : "", Bearer());
    EXPECT_EQ(r.code, 404) << method << " " << path << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json");
    EXPECT_EQ(Json(r)["error"], "backup 999 does not exist") << r.body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/backups/abc", "", Bearer()).code, 400);
  EXPECT_EQ(Call("POST", "/api/v1/backups", "not json", Bearer()).code, 400);
  EXPECT_EQ(Call("POST", "/api/v1/backups", R"({"remarks":5})", Bearer()).code, 400);
  // Not JSON, or from another origin: what a cross-site page could send. Refused.
  EXPECT_EQ(Call("POST", "/api/v1/backups", "", Bearer({{"Content-Type", "text/plain"}})).code,
            403);
  EXPECT_EQ(Call("DELETE", "/api/v1/backups/" + std::to_string(before[0]), "",
                 Bearer({{"Origin", "http://evil.example"}}))
                .code,
            403);
  EXPECT_EQ(Call("PUT", "/api/v1/backups", "{}", Bearer()).code, 405);
  EXPECT_EQ(Call("GET", "/api/v1/nothing", "", Bearer()).code, 404);
  EXPECT_EQ(CliBackupIds(), before);
}

TEST_F(ApiTest, WithoutAuthTheApiIsOpen) {
  StartServer();
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"backup", "create"}));
  json status = Json(Call("GET", "/api/v1/status"));
  EXPECT_EQ(status["auth"], false);
  EXPECT_EQ(Call("GET", "/").code, 200);
  HttpResult created = Call("POST", "/api/v1/backups", "{}");
  EXPECT_EQ(created.code, 201) << created.body;
  RunResult list = Cairn({"backup", "list", "--json"});
  EXPECT_EQ(json::parse(list.out)["backups"].size(), 2u);
}

// The backup schedule and its runs, as `backup schedule show` shows them; null without one.
TEST_F(ApiTest, ScheduleShowsTheStoredScheduleAndItsRuns) {
  StartWithToken();
  EXPECT_EQ(Call("GET", "/api/v1/schedule").code, 401);
  json none = Json(Call("GET", "/api/v1/schedule", "", Bearer()));
  EXPECT_TRUE(none.contains("schedule") && none["schedule"].is_null()) << none;
  EXPECT_TRUE(none["last_run"].is_null()) << none;
  EXPECT_EQ(none["runs"], 0);
  ExpectOk(Cairn({"table", "create", "t"}, "", Env()));
  ExpectOk(Cairn({"backup", "schedule", "set", "--every", "1s", "--keep-last", "2"}, "", Env()));
  json s;
  for (int i = 0; i < 300; ++i) {
    s = Json(Call("GET", "/api/v1/schedule", "", Bearer()));
    if (s.value("last_success_ms", int64_t{0}) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(s.value("last_success_ms", int64_t{0}), 0) << s;
  EXPECT_EQ(s["schedule"]["every"], "1s") << s;
  EXPECT_EQ(s["schedule"]["every_ms"], 1000);
  EXPECT_EQ(s["schedule"]["keep_last"], 2);
  EXPECT_EQ(s["schedule"]["keep_daily"], 0);
  EXPECT_TRUE(s["schedule"]["set"].is_string()) << s;
  EXPECT_GE(s["runs"].get<uint64_t>(), 1u);
  EXPECT_EQ(s["failures"], 0);
  EXPECT_TRUE(s["last_success"].is_string()) << s;
  ASSERT_TRUE(s["last_run"].is_object()) << s;
  EXPECT_EQ(s["last_run"]["ok"], true) << s;
  uint64_t backup_id = s["last_run"]["backup_id"].get<uint64_t>();
  RunResult show = Cairn({"backup", "show", std::to_string(backup_id), "--json"}, "", Env());
  ExpectOk(show);
  EXPECT_EQ(json::parse(show.out)["remarks"], "scheduled");
  EXPECT_TRUE(s["next_due_ms"].is_number()) << s;

  ExpectOk(Cairn({"backup", "schedule", "clear"}, "", Env()));
  json cleared = Json(Call("GET", "/api/v1/schedule", "", Bearer()));
  EXPECT_TRUE(cleared["schedule"].is_null()) << cleared;
  EXPECT_TRUE(cleared["next_due_ms"].is_null()) << cleared;
}

// The issue's slow client against the real server and its default timeouts: one byte
// every 1.9 s. /healthz and /metrics answer meanwhile; the trickler gets 408.
TEST_F(ApiTest, TricklingClientHoldsNeitherHealthzNorMetrics) {
  StartServer();
  std::string addr = server_->metrics_addr();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1))));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: slow\r\n\r\n";
  auto trickle = std::async(std::launch::async, [&] {
    size_t sent = 0;
    for (char c : request) {
      if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
      ++sent;
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 1900) > 0) break;  // answered
    }
    return sent;
  });
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call("GET", "/healthz").body.substr(0, 3), "ok\n");  // then one line per check
    EXPECT_NE(Call("GET", "/metrics").body.find("cairn_committed_epoch"), std::string::npos);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  size_t sent = trickle.get();
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 408", 0), 0u);
  EXPECT_LT(sent, request.size());
}

// TLS on the HTTP listener with the gRPC certificate files (a throwaway CA from the
// openssl CLI), checked with curl.
TEST_F(ApiTest, HttpsWithTheServerCertificate) {
  std::string d = dir_.path().string();
  WriteFile(dir_.Sub("make.sh"),
            "set -e; cd " + d +
                "; for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
                "-subj /CN=$ca -keyout $ca.key -out $ca.pem 2>/dev/null; done"
                "; printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
                "; openssl req -newkey rsa:2048 -nodes -subj /CN=server -keyout server.key "
                "-out server.csr 2>/dev/null; openssl x509 -req -in server.csr -CA ca.pem -CAkey "
                "ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null\n");
  ASSERT_EQ(RunProcess({"/bin/bash", dir_.Sub("make.sh")}).exit_code, 0);
  // A key that is not the certificate's: one error line, nothing served.
  ServerProcess wrong(kCairn, d);
  EXPECT_FALSE(wrong.Start({"--data-dir", data_dir_, "--listen", "127.0.0.1:0", "--tls-cert",
                            dir_.Sub("server.pem"), "--tls-key", dir_.Sub("other.key")}));
  EXPECT_NE(wrong.error().find("error: --tls-key " + dir_.Sub("other.key")), std::string::npos)
      << wrong.error();

  StartServer({"--tls-cert", dir_.Sub("server.pem"), "--tls-key", dir_.Sub("server.key")});
  std::string base = "https://" + server_->metrics_addr();
  RunResult health =
      RunProcess({"/usr/bin/curl", "-sS", "--cacert", dir_.Sub("ca.pem"), base + "/healthz"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out.substr(0, 3), "ok\n");
  RunResult status =
      RunProcess({"/usr/bin/curl", "-sS", "--cacert", dir_.Sub("ca.pem"), base + "/api/v1/status"});
  EXPECT_EQ(json::parse(status.out)["http_address"], server_->metrics_addr()) << status.out;
  RunResult untrusted =
      RunProcess({"/usr/bin/curl", "-sS", "--cacert", dir_.Sub("other.pem"), base + "/healthz"});
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;
  EXPECT_EQ(Call("GET", "/healthz").code, 0);  // plaintext gets no HTTP answer
  EXPECT_EQ(RunProcess({"/usr/bin/curl", "-sS", "--cacert", dir_.Sub("ca.pem"), base + "/healthz"})
                .out.substr(0, 3),
            "ok\n");
}

}  // namespace
}  // namespace cairn::testing
