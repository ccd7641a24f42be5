// End-to-end clones through the real binaries (docs/clones.md): `cairn clone` of a
// backup or an instant while the source server keeps writing, compacting and
// vacuuming; the clone's own server; `clone drop`; `clone detach`; a clone of a clone;
// and bad input that must leave every store as it was.
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli_fixture.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Every file under `dir` (but the changelog segments a live source keeps archiving)
// with a hash of its bytes: equal maps mean nothing was written, created or deleted.
std::map<std::string, size_t> Tree(const std::string& dir) {
  std::map<std::string, size_t> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string path = e.path().string();
    if (!e.is_regular_file() || path.find("/changelog/") != std::string::npos) continue;
    out[path.substr(dir.size())] = std::hash<std::string>()(ReadFile(path));
  }
  return out;
}

// The SST files of a node's object store (DIR/data, keys data/<id>.sst).
std::set<std::string> Ssts(const std::string& data) {
  std::set<std::string> out;
  if (!fs::exists(data + "/data/data")) return out;
  for (const auto& e : fs::directory_iterator(data + "/data/data")) {
    if (e.path().extension() == ".sst") out.insert(e.path().filename().string());
  }
  return out;
}

// One cluster: a server on its own stores (sqlite DIR.db, fs DIR/data, fs DIR/backup).
struct Node {
  std::string dir;
  std::unique_ptr<ServerProcess> server;
  std::string meta() const { return "sqlite://" + dir + ".db"; }
  std::string data() const { return "fs://" + dir + "/data"; }
  std::string backups() const { return "fs://" + dir + "/backup"; }
};

class CloneTest : public CliTest {
 protected:
  RunResult At(const Node& node, std::vector<std::string> args) {
    std::vector<std::string> argv = {kCairn};
    argv.insert(argv.end(), args.begin(), args.end());
    if (node.server) argv.insert(argv.end(), {"--addr", node.server->addr()});
    return RunProcess(argv, "", {{"CAIRN_ADDR", ""}, {"CAIRN_AUTH_TOKEN_FILE", ""}}, 120);
  }
  void Start(Node* node) {
    node->server = std::make_unique<ServerProcess>(kCairn, dir_.path().string());
    ASSERT_TRUE(node->server->Start(
        {"--meta-store", node->meta(), "--object-store", node->data(), "--backup-storage",
         node->backups(), "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
        {{"CAIRN_AUTH_TOKEN_FILE", ""}}))
        << node->server->error();
    // Vacuum deletes at once: what the clone keeps alive must be kept by its registration.
    ExpectOk(At(*node, {"param", "set", "vacuum_min_age", "0s"}));
  }
  void Stop(Node* node) {
    EXPECT_EQ(node->server->Stop(), 0) << node->server->log();
    node->server.reset();
  }
  Node NewNode(const std::string& name) { return Node{fs::path(dir_.Sub(name)).string(), nullptr}; }

  uint64_t Backup(const Node& node) {
    RunResult r = At(node, {"backup", "create"});
    ExpectOk(r);
    return r.exit_code == 0 ? std::stoull(r.out) : 0;
  }
  std::string Scan(const Node& node, const std::string& table = "t") {
    RunResult r = At(node, {"scan", table});
    ExpectOk(r);
    return r.out;
  }
  // Overwrites, deletes and new keys, a full compaction and a full vacuum: every SST of
  // an earlier point leaves the version and is deleted unless something keeps it.
  void Churn(const Node& node, const std::string& tag) {
    for (int i = 0; i < 6; ++i) ExpectOk(At(node, {"put", "t", "k" + std::to_string(i), tag}));
    ExpectOk(At(node, {"delete", "t", "k1"}));
    ExpectOk(At(node, {"put", "t", "new-" + tag, tag}));
    ExpectOk(At(node, {"flush"}));
    ExpectOk(At(node, {"compact"}));
    ExpectOk(At(node, {"vacuum", "--full"}));
  }
  // Rows in several SSTs (one flush each).
  // Then a full vacuum: the object store holds exactly the version's SSTs.
  void Fill(const Node& node, const std::string& value) {
    for (int i = 0; i < 6; ++i) {
      ExpectOk(At(node, {"put", "t", "k" + std::to_string(i), value}));
      if (i % 2 == 1) ExpectOk(At(node, {"flush"}));
    }
    ExpectOk(At(node, {"vacuum", "--full"}));
  }
  RunResult Clone(const Node& source, const Node& clone, std::vector<std::string> point,
                  std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "clone",       "--backup-storage", source.backups(), "--source-object-store",
        source.data(), "--meta-store",     clone.meta(),     "--object-store",
        clone.data()};
    args.insert(args.end(), point.begin(), point.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return At(Node{}, args);
  }
  nlohmann::json Json(const RunResult& r) {
    auto json = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << r.out << r.err;
    return json;
  }
};

TEST_F(CloneTest, CloneOfABackupWhileTheSourceChurnsThenDrop) {
  Node src = NewNode("src"), cl = NewNode("clone");
  Start(&src);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(src, {"table", "create", "t"}));
  Fill(src, "v1");
  const std::string at_backup = Scan(src);
  uint64_t backup = Backup(src);
  const std::set<std::string> backup_ssts = Ssts(src.dir);
  Churn(src, "after-backup");

  // Cloned while the source takes writes.
  pid_t load = SpawnProcess({kCairn, "load", "t", "--rows", "3000", "--addr", src.server->addr()},
                            dir_.Sub("load.out"), dir_.Sub("load.err"),
                            {{"CAIRN_ADDR", ""}, {"CAIRN_AUTH_TOKEN_FILE", ""}});
  RunResult made = Clone(src, cl, {"--from-backup", std::to_string(backup)}, {"--json"});
  ExpectOk(made);
  EXPECT_EQ(WaitProcess(load, 120), 0) << ReadFile(dir_.Sub("load.err"));
  nlohmann::json plan = Json(made);
  const std::string clone_id = plan.value("clone_id", "");
  EXPECT_EQ(plan.value("sst_count", 0u), backup_ssts.size());
  EXPECT_TRUE(Ssts(cl.dir).empty()) << "a clone copies no SST";

  // The source keeps going, drops the backup and vacuums fully: the registration alone
  // keeps the clone's SSTs.
  Churn(src, "after-clone");
  ExpectOk(At(src, {"backup", "delete", std::to_string(backup)}));
  ExpectOk(At(src, {"vacuum", "--full"}));
  for (const auto& sst : backup_ssts) EXPECT_TRUE(Ssts(src.dir).count(sst)) << sst;
  RunResult status = At(src, {"status", "--json"});
  ExpectOk(status);
  nlohmann::json clones = Json(status)["clones"];
  ASSERT_EQ(clones.size(), 1u) << status.out;
  EXPECT_EQ(clones[0].value("clone_id", ""), clone_id);
  std::string api = HttpGet(src.server->metrics_addr(), "/api/v1/status");
  EXPECT_NE(api.find(clone_id), std::string::npos) << api;

  // A clone archives and backs up into a backup storage of its own.
  ServerProcess wrong(kCairn, dir_.path().string());
  EXPECT_FALSE(wrong.Start({"--meta-store", cl.meta(), "--object-store", cl.data(),
                            "--backup-storage", src.backups(), "--listen", "127.0.0.1:0"},
                           {{"CAIRN_AUTH_TOKEN_FILE", ""}}));
  EXPECT_NE(wrong.error().find("a backup storage of its own"), std::string::npos) << wrong.error();
  Start(&cl);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Scan(cl), at_backup);
  // Writes on each side stay there.
  ExpectOk(At(cl, {"put", "t", "only-clone", "c"}));
  ExpectOk(At(src, {"put", "t", "only-source", "s"}));
  EXPECT_EQ(At(src, {"get", "t", "only-clone"}).exit_code, 1);
  EXPECT_EQ(At(cl, {"get", "t", "only-source"}).exit_code, 1);
  // The clone compacts and vacuums: its base's objects stay untouched.
  const std::set<std::string> source_before = Ssts(src.dir);
  Churn(cl, "in-clone");
  EXPECT_EQ(Ssts(src.dir), source_before);
  EXPECT_EQ(At(cl, {"get", "t", "k0"}).out, "in-clone\n");
  EXPECT_EQ(At(cl, {"get", "t", "only-clone"}).out, "c\n");
  RunResult clone_status = At(cl, {"status", "--json"});
  EXPECT_NE(Json(clone_status).value("cluster_id", ""), Json(status).value("cluster_id", ""));
  EXPECT_NE(Json(clone_status).value("clone_of", ""), "");
  // The clone's own backups restore like any cluster's (through the same base).
  const std::string clone_state = Scan(cl);
  uint64_t clone_backup = Backup(cl);
  Stop(&cl);
  Node restored{cl.dir, nullptr};
  const std::string restored_meta = "sqlite://" + dir_.Sub("restored.db");
  ExpectOk(
      At(Node{}, {"restore", "--backup-storage", cl.backups(), "--meta-store", restored_meta,
                  "--object-store", cl.data(), "--snapshot-id", std::to_string(clone_backup)}));
  restored.server = std::make_unique<ServerProcess>(kCairn, dir_.path().string());
  ASSERT_TRUE(restored.server->Start({"--meta-store", restored_meta, "--object-store", cl.data(),
                                      "--backup-storage", cl.backups(), "--listen", "127.0.0.1:0"},
                                     {{"CAIRN_AUTH_TOKEN_FILE", ""}}))
      << restored.server->error();
  EXPECT_EQ(Scan(restored), clone_state);
  Stop(&restored);

  // Drop: the source's vacuum reclaims exactly the SSTs only the clone held — every
  // object below the registration's max_object_id that is not in the source's version
  // (the registration is a pin: conservative like a backup's, docs/backup-format.md).
  const std::set<std::string> before_drop = Ssts(src.dir);
  const uint64_t boundary = plan.value("max_object_id", uint64_t{0});
  ExpectOk(
      At(Node{}, {"clone", "drop", "--backup-storage", src.backups(), "--meta-store", cl.meta()}));
  ExpectError(
      At(Node{}, {"clone", "drop", "--backup-storage", src.backups(), "--meta-store", cl.meta()}),
      "is not registered");
  ExpectOk(At(src, {"vacuum", "--full"}));
  std::set<std::string> expected;
  for (const auto& sst : before_drop) {
    if (std::stoull(sst.substr(0, 16), nullptr, 16) >= boundary) expected.insert(sst);
  }
  for (const auto& sst : backup_ssts) EXPECT_TRUE(before_drop.count(sst)) << sst;
  EXPECT_EQ(Ssts(src.dir), expected);
  EXPECT_EQ(Json(At(src, {"status", "--json"}))["clones"].size(), 0u);
  Stop(&src);
}

TEST_F(CloneTest, DetachThenTheSourceDropsEverythingAndTheCloneStaysIntact) {
  Node src = NewNode("src"), cl = NewNode("clone");
  Start(&src);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(src, {"table", "create", "t"}));
  Fill(src, "v1");
  const std::string at_backup = Scan(src);
  uint64_t backup = Backup(src);
  ExpectOk(Clone(src, cl, {"--from-backup", std::to_string(backup)}));
  Start(&cl);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(cl, {"put", "t", "mine", "m"}));
  ExpectOk(At(cl, {"flush"}));
  RunResult detach = At(cl, {"clone", "detach"});
  ExpectOk(detach);
  EXPECT_NE(detach.out.find("1 registration(s) removed"), std::string::npos) << detach.out;
  ExpectError(At(cl, {"clone", "detach"}), "detached already");

  Churn(src, "later");
  ExpectOk(At(src, {"backup", "delete", std::to_string(backup)}));
  ExpectOk(At(src, {"vacuum", "--full"}));
  RunResult scan = At(cl, {"scan", "t"});
  ExpectOk(scan);
  EXPECT_EQ(scan.out, at_backup + "mine\tm\n");
  EXPECT_EQ(At(cl, {"get", "t", "k0"}).out, "v1\n");
  // After a restart, without any base.
  Stop(&cl);
  Start(&cl);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(At(cl, {"scan", "t"}).out, scan.out);
  EXPECT_TRUE(Json(At(cl, {"status", "--json"})).value("clone_detached", false));
  ExpectOk(At(cl, {"compact"}));
  ExpectOk(At(cl, {"vacuum", "--full"}));
  EXPECT_EQ(At(cl, {"scan", "t"}).out, scan.out);
  Stop(&cl);
  Stop(&src);
}

// The source keeps a clone's SSTs only through the registration in its backup storage:
// it must not start on another backup storage (or none) while that one holds a live
// clone, and may once the clone is dropped.
TEST_F(CloneTest, SourceRefusesToSwitchBackupStorageWhileACloneLives) {
  Node src = NewNode("src"), cl = NewNode("clone");
  Start(&src);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(src, {"table", "create", "t"}));
  Fill(src, "v1");
  ExpectOk(Clone(src, cl, {"--from-backup", std::to_string(Backup(src))}));
  Stop(&src);
  const auto before = Tree(src.dir);
  const std::string other = "fs://" + src.dir + "/other-backup";
  for (const std::vector<std::string>& storage :
       {std::vector<std::string>{"--backup-storage", other}, std::vector<std::string>{}}) {
    std::vector<std::string> args = {"--meta-store",  src.meta(),   "--object-store",
                                     src.data(),      "--listen",   "127.0.0.1:0",
                                     "--http-listen", "127.0.0.1:0"};
    args.insert(args.end(), storage.begin(), storage.end());
    ServerProcess refused(kCairn, dir_.path().string());
    EXPECT_FALSE(refused.Start(args, {{"CAIRN_AUTH_TOKEN_FILE", ""}}));
    EXPECT_NE(refused.error().find("1 live clone(s)"), std::string::npos) << refused.error();
    EXPECT_NE(refused.error().find("--backup-storage " + src.backups()), std::string::npos)
        << refused.error();
  }
  EXPECT_EQ(Tree(src.dir), before);
  EXPECT_FALSE(fs::exists(src.dir + "/other-backup"));

  ExpectOk(
      At(Node{}, {"clone", "drop", "--backup-storage", src.backups(), "--meta-store", cl.meta()}));
  ServerProcess moved(kCairn, dir_.path().string());
  ASSERT_TRUE(
      moved.Start({"--meta-store", src.meta(), "--object-store", src.data(), "--backup-storage",
                   other, "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                  {{"CAIRN_AUTH_TOKEN_FILE", ""}}))
      << moved.error();
  EXPECT_EQ(moved.Stop(), 0) << moved.log();
}

TEST_F(CloneTest, CloneOfACloneAndCloneOfAnInstant) {
  Node src = NewNode("src"), c1 = NewNode("c1"), c2 = NewNode("c2"), c3 = NewNode("c3");
  Start(&src);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(src, {"table", "create", "t"}));
  Fill(src, "v1");
  uint64_t backup = Backup(src);
  ExpectOk(Clone(src, c1, {"--from-backup", std::to_string(backup)}));
  Start(&c1);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(c1, {"put", "t", "k0", "c1"}));
  ExpectOk(At(c1, {"flush"}));
  const std::string c1_state = Scan(c1);
  uint64_t c1_backup = Backup(c1);
  ExpectOk(Clone(c1, c2, {"--from-backup", std::to_string(c1_backup)}));
  // An instant of the source, from its archived changelog: after the next write is
  // archived, the instant before it.
  ExpectOk(At(src, {"put", "t", "k2", "before-instant"}));
  ExpectOk(At(src, {"flush"}));
  const std::string at_instant = Scan(src);
  std::this_thread::sleep_for(50ms);
  const std::string instant =
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()
                     << 16);
  std::this_thread::sleep_for(50ms);
  ExpectOk(At(src, {"put", "t", "k2", "after-instant"}));
  ExpectOk(At(src, {"flush"}));
  std::this_thread::sleep_for(2500ms);  // the archiver ships every checkpoint interval
  RunResult pitr = Clone(src, c3, {"--from-epoch", instant});
  ExpectOk(pitr);

  // Everyone churns and vacuums fully; both clones still read their points.
  Churn(src, "src-later");
  Churn(c1, "c1-later");
  Start(&c2);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Scan(c2), c1_state);
  Start(&c3);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Scan(c3), at_instant);
  Churn(c2, "c2-later");
  EXPECT_EQ(At(c2, {"get", "t", "k0"}).out, "c2-later\n");
  EXPECT_EQ(At(c2, {"get", "t", "k3"}).out, "c2-later\n");
  Churn(src, "src-again");
  EXPECT_EQ(At(c3, {"get", "t", "k2"}).out, "before-instant\n");
  Stop(&c3);
  Stop(&c2);
  Stop(&c1);
  Stop(&src);
}

TEST_F(CloneTest, BadInputWritesNothingAnywhere) {
  Node src = NewNode("src"), cl = NewNode("clone"), other = NewNode("other");
  Start(&src);
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(At(src, {"table", "create", "t"}));
  Fill(src, "v1");
  uint64_t backup = Backup(src);
  const std::string id = std::to_string(backup);
  auto unchanged = [&](const char* what) {
    EXPECT_FALSE(fs::exists(cl.dir)) << what << ": the clone's object store was created";
    EXPECT_FALSE(fs::exists(cl.dir + ".db")) << what << ": the clone's meta store was created";
  };
  const auto backups_before = Tree(src.dir + "/backup");
  // Usage errors exit 2: no point, two points, a missing store.
  EXPECT_EQ(Clone(src, cl, {}).exit_code, 2);
  EXPECT_EQ(Clone(src, cl, {"--from-backup", id, "--from-epoch", "5"}).exit_code, 2);
  EXPECT_EQ(At(Node{}, {"clone", "--from-backup", id, "--backup-storage", src.backups()}).exit_code,
            2);

  RunResult dry = Clone(src, cl, {"--from-backup", id}, {"--dry-run"});
  ExpectOk(dry);
  EXPECT_NE(dry.out.find("dry run"), std::string::npos) << dry.out;
  unchanged("dry run");
  ExpectError(Clone(src, cl, {"--from-backup", "99"}), "snapshot 99 is not in the manifest");
  unchanged("unknown backup");
  ExpectError(Clone(src, cl, {"--from-time", "2001-01-01T00:00:00Z"}), "recoverable range");
  unchanged("--from-time outside every range");
  Node missing{fs::path(dir_.Sub("nowhere")).string(), nullptr};
  ExpectError(At(Node{}, {"clone", "--backup-storage", missing.backups(), "--source-object-store",
                          src.data(), "--meta-store", cl.meta(), "--object-store", cl.data(),
                          "--from-backup", id}),
              "does not exist");
  unchanged("missing backup storage");
  EXPECT_FALSE(fs::exists(missing.dir));
  // Into a non-empty meta store (the source's own) and an object store with an identity.
  ExpectError(
      At(Node{}, {"clone", "--backup-storage", src.backups(), "--source-object-store", src.data(),
                  "--meta-store", src.meta(), "--object-store", cl.data(), "--from-backup", id}),
      "not empty");
  unchanged("non-empty meta store");
  ExpectOk(Clone(src, other, {"--from-backup", id}));
  const auto after_other = Tree(src.dir + "/backup");
  ExpectError(
      At(Node{}, {"clone", "--backup-storage", src.backups(), "--source-object-store", src.data(),
                  "--meta-store", cl.meta(), "--object-store", other.data(), "--from-backup", id}),
      "belongs to cluster");
  unchanged("object store with an identity");
  // A corrupt manifest.
  Stop(&src);
  const std::string manifest = src.dir + "/backup/manifest.json";
  const std::string good = ReadFile(manifest);
  WriteFile(manifest, "{ not json");
  const auto corrupt = Tree(src.dir + "/backup");
  ExpectError(Clone(src, cl, {"--from-backup", id}), "manifest.json");
  unchanged("corrupt manifest");
  EXPECT_EQ(Tree(src.dir + "/backup"), corrupt);
  WriteFile(manifest, good);
  EXPECT_EQ(Tree(src.dir + "/backup"), after_other);
  // clone drop of a meta store that is not a clone's, and of an unregistered clone.
  ExpectError(
      At(Node{}, {"clone", "drop", "--backup-storage", src.backups(), "--meta-store", src.meta()}),
      "not a clone");
  ExpectOk(At(Node{},
              {"clone", "drop", "--backup-storage", src.backups(), "--meta-store", other.meta()}));
  const auto dropped = Tree(src.dir + "/backup");
  EXPECT_EQ(dropped, backups_before);
  ExpectError(At(Node{}, {"clone", "drop", "--backup-storage", src.backups(), "--meta-store",
                          other.meta()}),
              "is not registered");
  EXPECT_EQ(Tree(src.dir + "/backup"), dropped);
}

}  // namespace
}  // namespace cairn::testing
