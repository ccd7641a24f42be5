#include "meta/users.h"

#include <gtest/gtest.h>

#include "meta/keys.h"
#include "meta/meta_test_util.h"

namespace cairn {
namespace {

class UsersTest : public testing::MetaFixture {
 protected:
  Random random_{42};
};

TEST_F(UsersTest, CreateListDrop) {
  Users users(writer_.get(), &random_);
  ASSERT_TRUE(users.Create("bob", "secret-1").ok());
  ASSERT_TRUE(users.Create("alice", "secret-2").ok());
  auto list = users.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alice");
  EXPECT_EQ((*list)[1].name, "bob");
  EXPECT_EQ((*list)[1].created_ms, clock_.NowMillis());
  ASSERT_TRUE(users.Drop("alice").ok());
  list = users.List();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "bob");
  EXPECT_EQ(Dump().count(keys::UserKey("alice")), 0u);
}

TEST_F(UsersTest, DuplicateIsAlreadyExistsUnknownIsNotFound) {
  Users users(writer_.get(), &random_);
  ASSERT_TRUE(users.Create("bob", "pw").ok());
  Status dup = users.Create("bob", "other");
  EXPECT_EQ(dup.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("bob"), std::string::npos);
  Status missing = users.Drop("carol");
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find("carol"), std::string::npos);
  EXPECT_EQ(users.CheckPassword("carol", "x").status().code(), ErrorCode::kNotFound);
}

TEST_F(UsersTest, BadNamesAndEmptyPasswordsAreRejected) {
  Users users(writer_.get(), &random_);
  for (const char* name : {"", "has space", "slash/name", "tab\tname"}) {
    EXPECT_EQ(users.Create(name, "pw").code(), ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(users.Create("x", "").code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(users.List()->empty());
}

TEST_F(UsersTest, MistypedRecordIsCorruptionNotACrash) {
  Users users(writer_.get(), &random_);
  ASSERT_TRUE(users.Create("bob", "pw").ok());
  std::string record = Dump()[keys::UserKey("bob")];
  auto at = record.find("\"privileges\"");
  ASSERT_NE(at, std::string::npos) << record;
  // Same record with a number among the privileges.
  std::string damaged = record.substr(0, at) + "\"privileges\":[7],\"was\"" +
                        record.substr(at + std::string("\"privileges\"").size());
  ASSERT_TRUE(store_->Commit({{}, {Op::Put(keys::UserKey("bob"), damaged)}}).ok());
  auto list = users.List();
  EXPECT_EQ(list.status().code(), ErrorCode::kCorruption) << damaged;
}

TEST_F(UsersTest, PasswordIsSaltedAndHashedNeverStored) {
  Users users(writer_.get(), &random_);
  ASSERT_TRUE(users.Create("u1", "hunter2-password").ok());
  ASSERT_TRUE(users.Create("u2", "hunter2-password").ok());
  auto dump = Dump();
  std::string r1 = dump[keys::UserKey("u1")], r2 = dump[keys::UserKey("u2")];
  EXPECT_EQ(r1.find("hunter2"), std::string::npos);
  // The changelog holds the same record; it must not leak the password either.
  auto all = store_->Range("", "", 1 << 20);
  for (const auto& kv : *all) EXPECT_EQ(kv.value.find("hunter2"), std::string::npos) << kv.key;
  // Same password, different salts, so different hashes.
  auto hash_of = [](const std::string& record) {
    size_t at = record.find("\"hash\":\"");
    return record.substr(at, 8 + 64);
  };
  EXPECT_NE(hash_of(r1), hash_of(r2));
  EXPECT_TRUE(*users.CheckPassword("u1", "hunter2-password"));
  EXPECT_FALSE(*users.CheckPassword("u1", "hunter3-password"));
}

}  // namespace
}  // namespace cairn
