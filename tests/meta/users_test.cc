#include "meta/users.h"

#include <gtest/gtest.h>

#include "meta/keys.h"
#include "meta/meta_test_util.h"

namespace cairn {
namespace {

// Few iterations keep the tests fast; the production count is checked separately.
constexpr int kTestIterations = 1000;

class UsersTest : public testing::MetaFixture {};

TEST_F(UsersTest, CreateListDrop) {
  Users users(writer_.get(), kTestIterations);
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
  Users users(writer_.get(), kTestIterations);
  ASSERT_TRUE(users.Create("bob", "pw").ok());
  Status dup = users.Create("bob", "other");
  EXPECT_EQ(dup.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("bob"), std::string::npos);
  Status missing = users.Drop("carol");
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find("carol"), std::string::npos);
  EXPECT_EQ(users.Authenticate("carol", "x").status().code(), ErrorCode::kPermissionDenied);
}

TEST_F(UsersTest, BadNamesAndEmptyPasswordsAreRejected) {
  Users users(writer_.get(), kTestIterations);
  for (const char* name : {"", "has space", "slash/name", "tab\tname"}) {
    EXPECT_EQ(users.Create(name, "pw").code(), ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(users.Create("x", "").code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(users.List()->empty());
}

TEST_F(UsersTest, MistypedRecordIsCorruptionNotACrash) {
  Users users(writer_.get(), kTestIterations);
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
  Users users(writer_.get(), kTestIterations);
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
  EXPECT_NE(r1.find("\"scheme\":\"pbkdf2-sha256\""), std::string::npos) << r1;
  EXPECT_EQ(*users.Authenticate("u1", "hunter2-password"), Privilege::kRead);
  EXPECT_EQ(users.Authenticate("u1", "hunter3-password").status().code(),
            ErrorCode::kPermissionDenied);
}

TEST_F(UsersTest, UnknownUserAndWrongPasswordGetTheSameError) {
  Users users(writer_.get(), kTestIterations);
  ASSERT_TRUE(users.Create("bob", "right").ok());
  Status wrong = users.Authenticate("bob", "wrong").status();
  Status unknown = users.Authenticate("nobody", "right").status();
  EXPECT_EQ(wrong.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(wrong.message(), unknown.message());
  EXPECT_EQ(users.Authenticate("bob", "").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(users.Authenticate("bad name", "right").status().code(), ErrorCode::kPermissionDenied);
}

TEST_F(UsersTest, GrantChangesThePrivilegeAtOnce) {
  Users users(writer_.get(), kTestIterations);
  ASSERT_TRUE(users.Create("bob", "pw").ok());
  EXPECT_EQ(*users.Authenticate("bob", "pw"), Privilege::kRead);  // now cached
  ASSERT_TRUE(users.Grant("bob", Privilege::kAdmin).ok());
  EXPECT_EQ(*users.Authenticate("bob", "pw"), Privilege::kAdmin);
  EXPECT_EQ((*users.List())[0].privileges, std::vector<std::string>{"admin"});
  ASSERT_TRUE(users.Grant("bob", Privilege::kWrite).ok());
  EXPECT_EQ(*users.Authenticate("bob", "pw"), Privilege::kWrite);
  EXPECT_EQ(users.Grant("carol", Privilege::kRead).code(), ErrorCode::kNotFound);
  // A dropped user is refused even though its password was verified before.
  ASSERT_TRUE(users.Drop("bob").ok());
  EXPECT_EQ(users.Authenticate("bob", "pw").status().code(), ErrorCode::kPermissionDenied);
  // Recreated with another password: the old one no longer works.
  ASSERT_TRUE(users.Create("bob", "new").ok());
  EXPECT_EQ(users.Authenticate("bob", "pw").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(*users.Authenticate("bob", "new"), Privilege::kRead);
}

TEST_F(UsersTest, WeakHashesAreUpgradedAtTheNextLogin) {
  // A record as the old code wrote it: SHA-256 iterated 10000 times over salt+"pw"
  // (hash computed independently), every user admin.
  std::string legacy =
      R"({"name":"old","scheme":"sha256-iter","iterations":10000,"salt":"00112233",)"
      R"("hash":"2ae5430aeae751258f8366ab28e146a8ff6d8e1fe96bfde4a5932531d6765bee",)"
      R"("created_ms":5,"privileges":["admin"]})";
  ASSERT_TRUE(store_->Commit({{}, {Op::Put(keys::UserKey("old"), legacy)}}).ok());
  Users users(writer_.get(), kTestIterations);
  EXPECT_EQ(users.Authenticate("old", "nope").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(Dump()[keys::UserKey("old")], legacy);  // a failed login changes nothing
  EXPECT_EQ(*users.Authenticate("old", "pw"), Privilege::kAdmin);
  std::string upgraded = Dump()[keys::UserKey("old")];
  EXPECT_NE(upgraded.find("\"scheme\":\"pbkdf2-sha256\""), std::string::npos) << upgraded;
  EXPECT_EQ(upgraded.find("2ae5430a"), std::string::npos);
  EXPECT_EQ(*users.Authenticate("old", "pw"), Privilege::kAdmin);
  EXPECT_EQ(users.Authenticate("old", "nope").status().code(), ErrorCode::kPermissionDenied);

  // A PBKDF2 hash with fewer iterations than configured is raised too.
  Users stronger(writer_.get(), 2 * kTestIterations);
  EXPECT_EQ(*stronger.Authenticate("old", "pw"), Privilege::kAdmin);
  EXPECT_NE(Dump()[keys::UserKey("old")].find("\"iterations\":2000"), std::string::npos);
}

TEST_F(UsersTest, ProductionIterationsMeetOwasp) { EXPECT_GE(kPbkdf2Iterations, 600'000); }

}  // namespace
}  // namespace cairn
