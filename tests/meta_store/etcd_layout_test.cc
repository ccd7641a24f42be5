// The etcd:// key layout, value codec and the reduction of ordered ops to the
// non-overlapping writes etcd accepts (no server needed).
#include "meta_store/etcd_layout.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

using namespace std::string_literals;

std::vector<std::string> Describe(const EtcdWrites& w) {
  std::vector<std::string> out;
  for (const auto& [k, v] : w.puts) out.push_back("put " + k + "=" + std::string(v));
  for (const auto& r : w.deletes) out.push_back("del [" + r.begin + "," + r.end + ")");
  return out;
}

TEST(EtcdLayout, KeysLiveUnderThePrefix) {
  EtcdLayout layout("/a/b/");
  EXPECT_EQ(layout.RevisionKey(), "/a/b/rev");
  EXPECT_EQ(layout.DataKey("x"), "/a/b/d/x");
  EXPECT_EQ(layout.DataEnd("y"), "/a/b/d/y");
  EXPECT_EQ(layout.DataEnd(""), "/a/b/d0") << "no upper bound = the end of the data prefix";
  EXPECT_EQ(*layout.CairnKey("/a/b/d/x\0y"s), "x\0y"s);
  EXPECT_EQ(layout.CairnKey("/a/b/rev").status().code(), ErrorCode::kCorruption);

  EtcdLayout root("");
  EXPECT_EQ(root.RevisionKey(), "rev");
  EXPECT_EQ(root.DataKey("x"), "d/x");
  EXPECT_EQ(EtcdLayout("/p").DataKey("x"), "/p/d/x");
}

TEST(EtcdLayout, ValuesCarryTheirRevision) {
  std::string stored = EncodeEtcdValue(0x0102030405060708, "v\0"s);
  EXPECT_EQ(stored.size(), 10u);
  auto kv = DecodeEtcdValue("k", stored);
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->mod_revision, 0x0102030405060708);
  EXPECT_EQ(kv->value, "v\0"s);
  EXPECT_EQ(DecodeEtcdValue("k", EncodeEtcdValue(7, ""))->value, "");
  EXPECT_EQ(DecodeEtcdValue("k", "short").status().code(), ErrorCode::kCorruption);
}

TEST(EtcdNetEffect, LaterOpsWin) {
  std::vector<Op> ops = {Op::Put("k", "1"), Op::Delete("k"),           Op::Put("k", "2"),
                         Op::Put("j", "x"), Op::DeleteRange("j", "k"), Op::Put("m", "1")};
  EXPECT_EQ(Describe(NetEffect(ops)),
            (std::vector<std::string>{"put k=2", "put m=1", "del [j,k)"}));
}

TEST(EtcdNetEffect, PutsAreCarvedOutOfEarlierDeletes) {
  std::vector<Op> ops = {Op::DeleteRange("a", "z"), Op::Put("m", "1"), Op::Put("a", "2"),
                         Op::DeleteRange("x", ""), Op::Put("y", "3")};
  EXPECT_EQ(Describe(NetEffect(ops)),
            (std::vector<std::string>{"put a=2", "put m=1", "put y=3", "del [a\0,m)"s,
                                      "del [m\0,y)"s, "del [y\0,z)"s, "del [x,y)", "del [y\0,)"s}));
}

TEST(EtcdNetEffect, EmptyRangesAreDropped) {
  std::vector<Op> ops = {Op::Put("b", "1"), Op::DeleteRange("c", "a"), Op::DeleteRange("b", "b")};
  EXPECT_EQ(Describe(NetEffect(ops)), (std::vector<std::string>{"put b=1"}));
}

}  // namespace
}  // namespace cairn
