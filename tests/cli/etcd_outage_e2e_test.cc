// End-to-end: `cairn server` on an etcd meta store that freezes (SIGSTOP) and comes
// back (docs/server.md "etcd meta store"). While etcd does not answer, a DDL commit
// fails within the store's deadline with an error naming etcd, and reads of committed
// data keep being served; once etcd answers, a write issued during the outage completes
// and DDL works again, without restarting the server.
#include "cli_fixture.h"
#include "meta_store/etcd_test_server.h"

namespace cairn::testing {
namespace {

class EtcdOutageTest : public CliTest {};

TEST_F(EtcdOutageTest, FrozenEtcdFailsCommitsNamingEtcdKeepsReadsAndRecovers) {
  EtcdTestServer etcd;
  ASSERT_TRUE(etcd.ready()) << "could not start etcd";
  StartServer({"--meta-store", etcd.url("/outage?timeout_ms=1500")});
  ASSERT_FALSE(HasFatalFailure());
  ExpectOk(Cairn({"table", "create", "t"}));
  ExpectOk(Cairn({"put", "t", "k", "v1"}));

  etcd.Pause();
  RunResult get = Cairn({"get", "t", "k"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v1\n");
  ExpectError(Cairn({"table", "create", "t2"}), "etcd at 127.0.0.1:" + std::to_string(etcd.port()));
  // A write waits for its checkpoint, which retries until etcd answers.
  const std::string put_out = dir_.Sub("put.out"), put_err = dir_.Sub("put.err");
  pid_t put = SpawnProcess({kCairn, "put", "t", "k2", "v2", "--addr", server_addr_}, put_out,
                           put_err, {{"CAIRN_ADDR", ""}, {"CAIRN_AUTH_TOKEN_FILE", ""}});
  get = Cairn({"get", "t", "k"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v1\n");
  etcd.Resume();

  EXPECT_EQ(WaitProcess(put, 120), 0) << ReadFile(put_err);
  get = Cairn({"get", "t", "k2"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "v2\n");
  ExpectOk(Cairn({"table", "create", "t2"}));
  ExpectOk(Cairn({"put", "t2", "a", "b"}));
  EXPECT_EQ(Cairn({"scan", "t"}).out, "k\tv1\nk2\tv2\n");
  EXPECT_EQ(server_->Stop(), 0) << server_->log();
}

}  // namespace
}  // namespace cairn::testing
