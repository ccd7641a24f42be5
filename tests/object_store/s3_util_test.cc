// The S3 store's pure helpers: hashing, URI encoding, time and XML parsing.
#include "object_store/s3_util.h"

#include <gtest/gtest.h>

#include "object_store/s3_xml.h"

namespace cairn {
namespace {

TEST(S3UtilTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(S3UtilTest, UriEncodingFollowsSigV4Rules) {
  EXPECT_EQ(AwsUriEncode("a/b c+d~e_f.g-h", true), "a/b%20c%2Bd~e_f.g-h");
  EXPECT_EQ(AwsUriEncode("a/b=c&d", false), "a%2Fb%3Dc%26d");
  EXPECT_EQ(AwsUriEncode(std::string("\xff\x01", 2), false), "%FF%01");
}

TEST(S3UtilTest, ParsesBothTimeFormats) {
  auto http = ParseHttpDateMillis("Wed, 25 Nov 2026 19:10:21 GMT");
  ASSERT_TRUE(http.ok()) << http.status().ToString();
  EXPECT_EQ(*http, 1795633821000);
  auto iso = ParseIso8601Millis("2026-11-25T19:10:21.123Z");
  ASSERT_TRUE(iso.ok()) << iso.status().ToString();
  EXPECT_EQ(*iso, 1795633821123);
  auto no_fraction = ParseIso8601Millis("2026-11-25T19:10:21Z");
  ASSERT_TRUE(no_fraction.ok());
  EXPECT_EQ(*no_fraction, 1795633821000);
  for (const char* bad : {"", "Wed, 25 Foo 2026 19:10:21 GMT", "Wed, 25 Nov 2026 19:10:21 UTC",
                          "Wed, 25 Nov 2026 25:10:21 GMT"}) {
    EXPECT_TRUE(ParseHttpDateMillis(bad).status().IsCorruption()) << bad;
  }
  for (const char* bad : {"2026-11-25 19:10:21Z", "2026-13-25T19:10:21Z", "2026-11-25T19:10:21"}) {
    EXPECT_TRUE(ParseIso8601Millis(bad).status().IsCorruption()) << bad;
  }
}

TEST(S3XmlTest, ParsesListObjectsV2) {
  auto result = ParseListObjectsV2(
      "<?xml version=\"1.0\"?><ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>tok</NextContinuationToken>"
      "<Contents><Key>p/a&amp;b</Key><Size>12</Size>"
      "<LastModified>2026-11-25T19:10:21.000Z</LastModified></Contents>"
      "<Contents><Key>p/c</Key><Size>0</Size>"
      "<LastModified>2026-11-25T19:10:22.000Z</LastModified></Contents></ListBucketResult>");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->objects.size(), 2u);
  EXPECT_EQ(result->objects[0].key, "p/a&b");
  EXPECT_EQ(result->objects[0].size, 12u);
  EXPECT_EQ(result->objects[1].mtime_ms, 1795633822000);
  EXPECT_EQ(result->next_token, "tok");

  auto last = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<NextContinuationToken>x</NextContinuationToken>"
      "</ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->objects.empty());
  EXPECT_TRUE(last->next_token.empty());
}

TEST(S3XmlTest, RejectsMalformedListings) {
  for (const char* bad :
       {"", "not xml", "<Other/>", "<ListBucketResult><IsTruncated>true</IsTruncated>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
        "<LastModified>2026-11-25T19:10:21Z</LastModified></Contents></ListBucketResult>"}) {
    EXPECT_TRUE(ParseListObjectsV2(bad).status().IsCorruption()) << bad;
  }
}

TEST(S3XmlTest, ParsesErrorsAndUploadIds) {
  S3ErrorBody error = ParseS3Error(
      "<Error><Code>NoSuchKey</Code><Message>The key does not exist</Message></Error>");
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The key does not exist");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<html>proxy error</html>").code.empty());

  auto id = ParseUploadId(
      "<InitiateMultipartUploadResult><UploadId>abc-1</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "abc-1");
  EXPECT_TRUE(ParseUploadId("<InitiateMultipartUploadResult/>").status().IsCorruption());
}

TEST(S3XmlTest, CompleteMultipartListsPartsInOrder) {
  EXPECT_EQ(CompleteMultipartXml({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
            "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

}  // namespace
}  // namespace cairn
