// ValidateTxn, PrefixEnd and OpenMetaStore URL handling (backend-independent parts).
#include "meta_store/meta_store.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

using namespace std::string_literals;

TEST(ValidateTxnTest, AcceptsKeysAndValuesAtTheLimits) {
  Txn txn;
  txn.ops.push_back(Op::Put(std::string(kMaxMetaKeySize, 'k'), std::string(16, 'v')));
  txn.ops.push_back(Op::DeleteRange("a", ""));
  txn.compares.push_back(Compare::ValueEquals("k", ""));
  EXPECT_TRUE(ValidateTxn(txn).ok());
}

TEST(ValidateTxnTest, RejectsEmptyKeys) {
  Txn put;
  put.ops.push_back(Op::Put("", "v"));
  EXPECT_EQ(ValidateTxn(put).code(), ErrorCode::kInvalidArgument);
  Txn compare;
  compare.compares.push_back(Compare::Exists(""));
  EXPECT_EQ(ValidateTxn(compare).code(), ErrorCode::kInvalidArgument);
  Txn range;
  range.ops.push_back(Op::DeleteRange("", "b"));
  EXPECT_EQ(ValidateTxn(range).code(), ErrorCode::kInvalidArgument);
}

TEST(ValidateTxnTest, OversizedKeyMessageHasTheSizes) {
  Txn txn;
  txn.ops.push_back(Op::Put(std::string(kMaxMetaKeySize + 1, 'k'), "v"));
  Status s = ValidateTxn(txn);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find(std::to_string(kMaxMetaKeySize + 1)), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(std::to_string(kMaxMetaKeySize)), std::string::npos);
}

TEST(ValidateTxnTest, OversizedValueMessageHasTheSizesAndKey) {
  Txn txn;
  txn.ops.push_back(Op::Put("cfg/\x01"s, std::string(kMaxMetaValueSize + 1, 'v')));
  Status s = ValidateTxn(txn);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find(std::to_string(kMaxMetaValueSize + 1)), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("'cfg/\\x01'"), std::string::npos) << s.message();
}

TEST(ValidateTxnTest, RejectsOversizedCompareKeyAndRangeEnd) {
  Txn compare;
  compare.compares.push_back(Compare::Absent(std::string(kMaxMetaKeySize + 1, 'k')));
  EXPECT_EQ(ValidateTxn(compare).code(), ErrorCode::kInvalidArgument);
  Txn range;
  range.ops.push_back(Op::DeleteRange("a", std::string(kMaxMetaKeySize + 1, 'z')));
  EXPECT_EQ(ValidateTxn(range).code(), ErrorCode::kInvalidArgument);
}

TEST(PrefixEndTest, BumpsTheLastByte) {
  EXPECT_EQ(PrefixEnd("abc"), "abd");
  EXPECT_EQ(PrefixEnd("a/"), "a0");
  EXPECT_EQ(PrefixEnd("a\x00"s), "a\x01"s);
  EXPECT_EQ(PrefixEnd("a\xfe"s), "a\xff"s);
}

TEST(PrefixEndTest, SkipsTrailingFfBytes) {
  EXPECT_EQ(PrefixEnd("a\xff\xff"s), "b");
  EXPECT_EQ(PrefixEnd("\x01\xff"s), "\x02"s);
}

TEST(PrefixEndTest, NoBoundForEmptyOrAllFf) {
  EXPECT_EQ(PrefixEnd(""), "");
  EXPECT_EQ(PrefixEnd("\xff\xff"s), "");
}

TEST(OpenMetaStoreTest, UnknownSchemeListsKnownSchemes) {
  auto store = OpenMetaStore("redis://host:6379/x");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument);
  const std::string& m = store.status().message();
  EXPECT_NE(m.find("'redis'"), std::string::npos) << m;
  EXPECT_NE(m.find("sqlite://"), std::string::npos) << m;
  EXPECT_NE(m.find("mem://"), std::string::npos) << m;
}

TEST(OpenMetaStoreTest, MalformedUrlsAreInvalidArgument) {
  for (const char* url : {"", "sqlite", "://x", "sqlite:/abs/file.db", "sqlite://h:99999/x.db",
                          "sq lite:///x.db", "sqlite:///x%zz.db"}) {
    auto store = OpenMetaStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << url;
  }
}

TEST(OpenMetaStoreTest, RelativeSqlitePathIsNamed) {
  auto store = OpenMetaStore("sqlite://relative/path.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("sqlite://relative/path.db"), std::string::npos)
      << store.status().message();
}

TEST(OpenMetaStoreTest, SqliteWithoutPathIsRejected) {
  for (const char* url : {"sqlite://", "sqlite:///"}) {
    auto store = OpenMetaStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << url;
  }
}

TEST(OpenMetaStoreTest, PasswordsAreRedactedFromErrors) {
  auto store = OpenMetaStore("nosuch://user:hunter2@host/db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace cairn
