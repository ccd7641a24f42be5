#include "common/url.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(UrlTest, ParsesAllParts) {
  auto url = Url::Parse("postgres://alice:s%40cret@db.example:5433/cairn?schema=prod&x=1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->scheme, "postgres");
  EXPECT_EQ(url->user, "alice");
  EXPECT_EQ(url->password, "s@cret");
  EXPECT_EQ(url->host, "db.example");
  EXPECT_EQ(url->port, 5433);
  EXPECT_EQ(url->path, "/cairn");
  EXPECT_EQ(url->Param("schema"), "prod");
  EXPECT_EQ(url->Param("missing", "dflt"), "dflt");
}

TEST(UrlTest, RedactsPasswordAndSecretParams) {
  auto url = Url::Parse("postgres://alice:hunter2@h:1/db?secret_key=abc");
  ASSERT_TRUE(url.ok());
  std::string shown = url->Redacted();
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_EQ(shown.find("abc"), std::string::npos);
  EXPECT_NE(shown.find("alice:***@h:1/db"), std::string::npos);
}

TEST(UrlTest, ParseErrorsRedactThePassword) {
  for (const char* text : {"postgres://alice:hunter2@h:99999/db", "etcd://a:hunter2@h:x",
                           "postgres://alice:hun@ter2@h:0/db?schema=s"}) {
    auto url = Url::Parse(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.status().message().find("hunter2"), std::string::npos) << url.status().ToString();
    EXPECT_EQ(url.status().message().find("ter2"), std::string::npos) << url.status().ToString();
    EXPECT_NE(url.status().message().find(":***@h"), std::string::npos) << url.status().ToString();
  }
}

TEST(UrlTest, FileUrlsNeedAbsolutePaths) {
  auto ok = Url::Parse("sqlite:///var/lib/cairn/meta.db");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok->AbsolutePath(), "/var/lib/cairn/meta.db");

  auto relative = Url::Parse("sqlite://relative/path");
  ASSERT_TRUE(relative.ok());
  auto path = relative->AbsolutePath();
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(path.status().message().find("absolute path"), std::string::npos);
  EXPECT_NE(path.status().message().find("relative"), std::string::npos);
}

TEST(UrlTest, RejectsMalformedText) {
  for (const char* bad : {"", "no-scheme", "://x", "fs:/x", "s3://b:notaport/p", "s3://b:0/p",
                          "fs:///a%zz", "sq lite:///x"}) {
    auto url = Url::Parse(bad);
    EXPECT_FALSE(url.ok()) << bad;
    if (!url.ok()) {
      EXPECT_EQ(url.status().code(), ErrorCode::kInvalidArgument) << bad;
    }
  }
}

TEST(UrlTest, S3BucketIsHost) {
  auto url =
      Url::Parse("s3://bucket/some/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-east-1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "bucket");
  EXPECT_EQ(url->path, "/some/prefix");
  EXPECT_EQ(url->Param("endpoint"), "http://127.0.0.1:9000");
}

TEST(UrlTest, EmbeddedCredentialsAreFound) {
  for (const char* secret :
       {"postgres://u:pw@host/db", "s3://b/p?endpoint=http://key:secret@127.0.0.1:9000",
        "s3://b/p?region=x&endpoint=https://a:b@h", "postgres://u@h/db?password=x",
        "s3://b/p?Secret_Key=x", "see https://user:pw@example.com/x"}) {
    EXPECT_TRUE(HasEmbeddedCredentials(secret)) << secret;
  }
  for (const char* clean : {"postgres://u@host:5432/db?schema=s", "fs:///var/lib/cairn",
                            "s3://b/p?endpoint=http://127.0.0.1:9000&region=us-east-1",
                            "sqlite:///d/meta.db", "1h", "", "mem://m@x"}) {
    EXPECT_FALSE(HasEmbeddedCredentials(clean)) << clean;
  }
}

TEST(StatusTest, ToStringAndContext) {
  Status s = Status::NotFound("object data/1.sst");
  EXPECT_EQ(s.ToString(), "NotFound: object data/1.sst");
  EXPECT_EQ(s.WithContext("open sst").message(), "open sst: object data/1.sst");
  EXPECT_TRUE(Status::OK().ok());
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}
Result<int> Quarter(int x) {
  CAIRN_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

}  // namespace
}  // namespace cairn
