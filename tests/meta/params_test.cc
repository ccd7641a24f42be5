#include "meta/params.h"

#include <gtest/gtest.h>

#include "meta/keys.h"
#include "meta/meta_test_util.h"

namespace cairn {
namespace {

class ParamsTest : public testing::MetaFixture {};

TEST_F(ParamsTest, UnsetParamsReadAsDefaults) {
  SystemParams params(writer_.get());
  auto list = params.List();
  ASSERT_TRUE(list.ok());
  std::map<std::string, std::string> values;
  for (const auto& p : *list) {
    EXPECT_TRUE(p.is_default) << p.name;
    values[p.name] = p.value;
  }
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"checkpoint_interval", "1s"},
                                                        {"pitr_retention", "0"},
                                                        {"vacuum_min_age", "6h"},
                                                        {"vacuum_interval", "10m"},
                                                        {"backup_storage_url", ""}}));
  EXPECT_EQ(*params.GetDurationMs("checkpoint_interval"), 1000);
  EXPECT_EQ(*params.GetDurationMs("vacuum_min_age"), 6 * 3'600'000);
}

TEST_F(ParamsTest, SetIsStoredUnderParamKeyAndInTheChangelog) {
  SystemParams params(writer_.get());
  uint64_t seq = writer_->last_seq();
  ASSERT_TRUE(params.Set("pitr_retention", "7d").ok());
  auto value = params.Get("pitr_retention");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value, "7d");
  EXPECT_FALSE(value->is_default);
  EXPECT_EQ(*params.GetDurationMs("pitr_retention"), 7 * 86'400'000LL);
  EXPECT_EQ(Dump()[keys::ParamKey("pitr_retention")], "7d");

  EXPECT_EQ(writer_->last_seq(), seq + 1);
  auto record = store_->Get(keys::ChangelogKey(seq + 1));
  ASSERT_TRUE(record.ok() && record->has_value());
  auto decoded = DecodeChangelogRecord((*record)->value);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->ops.size(), 1u);
  EXPECT_EQ(decoded->ops[0].key, keys::ParamKey("pitr_retention"));
}

TEST_F(ParamsTest, UnknownNameIsInvalidArgumentNamingIt) {
  SystemParams params(writer_.get());
  for (auto status : {params.Get("no_such_param").status(), params.Set("no_such_param", "1s")}) {
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(status.message().find("no_such_param"), std::string::npos) << status.message();
  }
}

TEST_F(ParamsTest, InvalidValuesAreRejectedAndNothingIsWritten) {
  SystemParams params(writer_.get());
  auto before = Dump();
  struct Case {
    const char* name;
    const char* value;
  };
  for (Case c : {Case{"checkpoint_interval", "0"}, Case{"checkpoint_interval", "fast"},
                 Case{"pitr_retention", "-1s"}, Case{"vacuum_min_age", "6 hours"},
                 Case{"backup_storage_url", "not a url"}}) {
    Status status = params.Set(c.name, c.value);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << c.name << "=" << c.value;
    EXPECT_NE(status.message().find(c.name), std::string::npos) << status.message();
  }
  EXPECT_EQ(Dump(), before);
}

TEST_F(ParamsTest, BackupStorageUrlAcceptsUrlsAndEmpty) {
  SystemParams params(writer_.get());
  ASSERT_TRUE(params.Set("backup_storage_url", "fs:///var/lib/cairn/backup").ok());
  EXPECT_EQ(params.Get("backup_storage_url")->value, "fs:///var/lib/cairn/backup");
  ASSERT_TRUE(params.Set("backup_storage_url", "").ok());
  EXPECT_EQ(params.Get("backup_storage_url")->value, "");
}

TEST_F(ParamsTest, CredentialsAreRejectedAndNothingIsWritten) {
  SystemParams params(writer_.get());
  auto before = Dump();
  for (const char* value : {"s3://b/p?endpoint=http://AKIA:hunter2@127.0.0.1:9000",
                            "fs://u:hunter2@host/x", "s3://b/p?secret_key=hunter2"}) {
    Status status = params.Set("backup_storage_url", value);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << value;
    EXPECT_NE(status.message().find("holds a credential"), std::string::npos);
    EXPECT_EQ(status.message().find("hunter2"), std::string::npos) << status.message();
  }
  EXPECT_EQ(params.Set("pitr_retention", "http://a:hunter2@b").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Dump(), before);
}

TEST_F(ParamsTest, DurationsOutsideTheirRangeAreRejectedAndNothingIsWritten) {
  SystemParams params(writer_.get());
  auto before = Dump();
  uint64_t seq = writer_->last_seq();
  struct Case {
    const char* name;
    const char* value;
  };
  for (Case c : {Case{"pitr_retention", "36500d"}, Case{"pitr_retention", "3651d"},
                 Case{"vacuum_min_age", "36500d"}, Case{"checkpoint_interval", "9ms"},
                 Case{"checkpoint_interval", "61m"}, Case{"checkpoint_interval", "0"},
                 Case{"vacuum_interval", "999ms"}, Case{"vacuum_interval", "31d"}}) {
    Status status = params.Set(c.name, c.value);
    ASSERT_EQ(status.code(), ErrorCode::kInvalidArgument) << c.name << "=" << c.value;
    // One line an operator can act on: the param, the value and the range.
    EXPECT_NE(status.message().find(c.name), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(std::string("'") + c.value + "'"), std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find(" .. "), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
  }
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(writer_->last_seq(), seq);
  EXPECT_NE(params.Set("pitr_retention", "36500d").message().find("0 .. 3650d"), std::string::npos);
  EXPECT_NE(params.Set("checkpoint_interval", "2h").message().find("10ms .. 1h"),
            std::string::npos);
  // The bounds themselves are valid.
  for (const char* v : {"0", "3650d"}) {
    ASSERT_TRUE(params.Set("pitr_retention", v).ok()) << v;
    ASSERT_TRUE(params.Set("vacuum_min_age", v).ok()) << v;
  }
  for (const char* v : {"10ms", "1h", "60m"}) {
    ASSERT_TRUE(params.Set("checkpoint_interval", v).ok()) << v;
  }
  EXPECT_EQ(*params.GetDurationMs("checkpoint_interval"), 3'600'000);
  EXPECT_EQ(*params.GetDurationMs("pitr_retention"), 3650 * 86'400'000LL);
  // vacuum_interval: 0 is "off", below its 1s minimum.
  EXPECT_NE(params.Set("vacuum_interval", "500ms").message().find("0 (off) or 1s .. 30d"),
            std::string::npos);
  for (const char* v : {"1s", "30d", "0"}) ASSERT_TRUE(params.Set("vacuum_interval", v).ok()) << v;
  EXPECT_EQ(*params.GetDurationMs("vacuum_interval"), 0);
}

TEST_F(ParamsTest, AnOutOfRangeStoredValueReadsAsItsBound) {
  // Written before the bounds existed, or restored from such a backup.
  ASSERT_TRUE(store_->Commit({{}, {Op::Put(keys::ParamKey("pitr_retention"), "36500d")}}).ok());
  ASSERT_TRUE(store_->Commit({{}, {Op::Put(keys::ParamKey("checkpoint_interval"), "1ms")}}).ok());
  SystemParams params(writer_.get());
  EXPECT_EQ(*params.GetDurationMs("pitr_retention"), 3650 * 86'400'000LL);
  EXPECT_EQ(*params.GetDurationMs("checkpoint_interval"), 10);
}

}  // namespace
}  // namespace cairn
