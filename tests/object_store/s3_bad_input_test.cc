// The S3 object store facing bad input: a server that is down, a bucket that does not
// exist, credential errors played back by a fake server (s3rver does not check
// signatures), transient 5xx replies, and malformed URLs. Secrets never leak.
#include <gmock/gmock.h>
#include <openssl/hmac.h>

#include <memory>

#include "common/clock.h"
#include "object_store/object_store.h"
#include "object_store/s3_fake_server.h"
#include "object_store/s3_object_store.h"
#include "object_store/s3_options.h"
#include "object_store/s3_util.h"
#include "testing/test_util.h"

namespace cairn {
namespace {

using ::cairn::testing::FakeReply;
using ::cairn::testing::S3FakeServer;
using ::testing::HasSubstr;

constexpr char kAccessKey[] = "AKIDCAIRNTEST";
constexpr char kSecretKey[] = "wJalrXUtnFEMI-K7MDENG-cairnSecret";

std::string ErrorXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>1</RequestId></Error>";
}

class S3BadInputTest : public ::testing::Test {
 protected:
  // A store on `endpoint` with known credentials; retries sleep on a manual clock.
  std::unique_ptr<S3ObjectStore> Store(const std::string& endpoint,
                                       const std::string& bucket = "bucket") {
    auto options = ParseS3Url("s3://" + bucket + "/pre?endpoint=" + endpoint);
    EXPECT_TRUE(options.ok()) << options.status().ToString();
    options->access_key = kAccessKey;
    options->secret_key = kSecretKey;
    return std::make_unique<S3ObjectStore>(*options, &clock_);
  }

  static void ExpectNoSecret(const Status& status) {
    EXPECT_EQ(status.message().find(kSecretKey), std::string::npos) << status.ToString();
  }

  ManualClock clock_;
};

TEST_F(S3BadInputTest, ServerDownIsUnavailableNamingEndpoint) {
  std::string endpoint = "http://127.0.0.1:" + std::to_string(::cairn::testing::FreePort());
  auto store = Store(endpoint);
  auto got = store->Get("data/1.sst");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kUnavailable) << got.status().ToString();
  EXPECT_NE(got.status().message().find(endpoint), std::string::npos) << got.status().ToString();
  ExpectNoSecret(got.status());
  Status put = store->Put("data/1.sst", "x");
  EXPECT_EQ(put.code(), ErrorCode::kUnavailable) << put.ToString();
  auto list = store->List("", "", 10);
  EXPECT_EQ(list.status().code(), ErrorCode::kUnavailable);
}

TEST_F(S3BadInputTest, SignatureMismatchIsPermissionDeniedWithoutSecret) {
  // Even a server that echoes the secret back must not get it into our errors.
  S3FakeServer server({{403, ErrorXml("SignatureDoesNotMatch",
                                      std::string("The request signature we calculated does "
                                                  "not match; key ") +
                                          kSecretKey)}});
  auto store = Store(server.endpoint());
  Status put = store->Put("data/7.sst", "payload");
  EXPECT_EQ(put.code(), ErrorCode::kPermissionDenied) << put.ToString();
  EXPECT_NE(put.message().find("SignatureDoesNotMatch"), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("data/7.sst"), std::string::npos) << put.ToString();
  EXPECT_NE(put.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << put.ToString();
  ExpectNoSecret(put);
  ASSERT_EQ(server.requests().size(), 1u);  // a 403 is final: no retry
}

TEST_F(S3BadInputTest, AccessDeniedOnEveryOperation) {
  S3FakeServer server({{403, ErrorXml("AccessDenied", "Access Denied")}});
  auto store = Store(server.endpoint());
  std::vector<Status> errors = {store->Get("a").status(), store->GetRange("a", 0, 5).status(),
                                store->Delete("a"), store->List("", "", 5).status(),
                                store->Put("a", "b")};
  for (const Status& status : errors) {
    EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied) << status.ToString();
    EXPECT_NE(status.message().find("AccessDenied"), std::string::npos) << status.ToString();
    ExpectNoSecret(status);
  }
  // HEAD replies carry no body; the status alone must still be a clear error.
  Status head = store->Head("a").status();
  EXPECT_EQ(head.code(), ErrorCode::kPermissionDenied) << head.ToString();
}

TEST_F(S3BadInputTest, NoSuchKeyIsNotFoundNamingTheKey) {
  S3FakeServer server({{404, ErrorXml("NoSuchKey", "The specified key does not exist.")}});
  auto store = Store(server.endpoint());
  auto got = store->Get("data/9.sst");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().IsNotFound()) << got.status().ToString();
  EXPECT_NE(got.status().message().find("'data/9.sst'"), std::string::npos);
  EXPECT_EQ(server.requests()[0].target, "/bucket/pre/data/9.sst");
}

TEST_F(S3BadInputTest, NoSuchBucketNamesTheBucket) {
  S3FakeServer server({{404, ErrorXml("NoSuchBucket", "The specified bucket does not exist")}});
  auto store = Store(server.endpoint(), "missing-bucket");
  Status put = store->Put("k", "v");
  EXPECT_TRUE(put.IsNotFound()) << put.ToString();
  EXPECT_NE(put.message().find("'missing-bucket'"), std::string::npos) << put.ToString();
  // Deleting from a missing bucket is an error, not an idempotent success.
  EXPECT_TRUE(store->Delete("k").IsNotFound());
}

TEST_F(S3BadInputTest, TransientServerErrorsAreRetried) {
  S3FakeServer server({{503, ErrorXml("SlowDown", "Reduce your request rate.")},
                       {500, ErrorXml("InternalError", "oops")},
                       {200, "the-bytes"}});
  auto store = Store(server.endpoint());
  auto got = store->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "the-bytes");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(S3BadInputTest, PersistentServerErrorsBecomeUnavailableAfterBoundedRetries) {
  S3FakeServer server({{503, ErrorXml("SlowDown", "Reduce your request rate.")}});
  auto store = Store(server.endpoint());
  int64_t start = clock_.NowMillis();
  auto got = store->Get("k");
  EXPECT_EQ(got.status().code(), ErrorCode::kUnavailable) << got.status().ToString();
  EXPECT_NE(got.status().message().find("SlowDown"), std::string::npos);
  EXPECT_EQ(server.requests().size(), static_cast<size_t>(S3Options().max_attempts));
  // Backoff is exponential (100 + 200 + 400 ms of simulated time), not unbounded.
  EXPECT_EQ(clock_.NowMillis() - start, 700);
}

TEST_F(S3BadInputTest, MalformedListingIsCorruption) {
  S3FakeServer server({{200, "<ListBucketResult><Contents><Key>pre/a</Key></Contents>"}});
  auto store = Store(server.endpoint());
  EXPECT_TRUE(store->List("", "", 10).status().IsCorruption());
}

TEST_F(S3BadInputTest, CompleteMultipartErrorInsideOkReplyFailsFinish) {
  std::string part(5 << 20, 'x');
  S3FakeServer server(
      {{200,
        "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"},
       {200, "", {"ETag: \"e1\""}},
       {200, "", {"ETag: \"e2\""}},
       {200, ErrorXml("InternalError", "completion failed")},
       {204, ""}});
  auto options = ParseS3Url("s3://bucket?endpoint=" + server.endpoint());
  ASSERT_TRUE(options.ok());
  options->part_size = part.size();
  S3ObjectStore store(*options, &clock_);
  auto writer = store.NewWriter("big");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(part).ok());
  ASSERT_TRUE((*writer)->Append("tail").ok());
  Status finish = (*writer)->Finish();
  EXPECT_FALSE(finish.ok());
  EXPECT_NE(finish.message().find("completion failed"), std::string::npos) << finish.ToString();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].target, "/bucket/big?uploads=");
  EXPECT_EQ(requests[1].target, "/bucket/big?partNumber=1&uploadId=u1");
  EXPECT_EQ(requests[2].target, "/bucket/big?partNumber=2&uploadId=u1");
  EXPECT_EQ(requests[2].body, "tail");
  EXPECT_NE(requests[3].body.find("<PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag>"),
            std::string::npos)
      << requests[3].body;
  EXPECT_EQ(requests[4].method, "DELETE");  // the failed upload is aborted
  EXPECT_EQ(requests[4].target, "/bucket/big?uploadId=u1");
}

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// Checks a captured request's Authorization header against a SigV4 signature
// recomputed from the AWS specification: every signed header must have been sent (a
// server recomputes from what it receives), and the payload hash must be signed.
void ExpectValidSignature(const ::cairn::testing::FakeRequest& request) {
  SCOPED_TRACE(request.method + " " + request.target);
  ASSERT_TRUE(request.headers.count("authorization") && request.headers.count("x-amz-date"));
  const std::string& auth = request.headers.at("authorization");
  const std::string& date = request.headers.at("x-amz-date");
  const std::string scope = date.substr(0, 8) + "/us-east-1/s3/aws4_request";
  const std::string credential =
      std::string("AWS4-HMAC-SHA256 Credential=") + kAccessKey + "/" + scope + ", SignedHeaders=";
  ASSERT_EQ(auth.rfind(credential, 0), 0u) << auth;
  size_t sig = auth.find(", Signature=");
  ASSERT_NE(sig, std::string::npos) << auth;
  const std::string signed_headers = auth.substr(credential.size(), sig - credential.size());
  for (const char* required : {"host", "x-amz-content-sha256", "x-amz-date"}) {
    EXPECT_NE((";" + signed_headers + ";").find(std::string(";") + required + ";"),
              std::string::npos)
        << signed_headers;
  }
  std::string canonical_headers;
  for (size_t pos = 0; pos <= signed_headers.size();) {
    size_t semi = std::min(signed_headers.find(';', pos), signed_headers.size());
    std::string name = signed_headers.substr(pos, semi - pos);
    auto it = request.headers.find(name);
    EXPECT_NE(it, request.headers.end()) << "signed header '" << name << "' was not sent";
    canonical_headers += name + ":" + (it == request.headers.end() ? "" : it->second) + "\n";
    pos = semi + 1;
  }
  size_t q = request.target.find('?');
  std::string canonical = request.method + "\n" + request.target.substr(0, q) + "\n" +
                          (q == std::string::npos ? "" : request.target.substr(q + 1)) + "\n" +
                          canonical_headers + "\n" + signed_headers + "\n" +
                          request.headers.at("x-amz-content-sha256");
  std::string to_sign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string key = HmacSha256(std::string("AWS4") + kSecretKey, date.substr(0, 8));
  key = HmacSha256(HmacSha256(HmacSha256(key, "us-east-1"), "s3"), "aws4_request");
  EXPECT_EQ(auth.substr(sig + 12), Hex(HmacSha256(key, to_sign)));
  if (request.method == "PUT" || request.method == "POST") {
    EXPECT_EQ(request.headers.at("x-amz-content-sha256"), Sha256Hex(request.body));
  }
}

TEST_F(S3BadInputTest, RequestsCarryAValidSigV4Signature) {
  S3FakeServer server({{200, ""}});
  auto store = Store(server.endpoint());
  ASSERT_TRUE(store->Put("dir/a b+c.sst", "payload").ok());
  ASSERT_TRUE(store->List("dir/", "tok/en=", 7).status().IsCorruption());  // empty body
  ASSERT_TRUE(store->GetRange("dir/x", 5, 10).ok());
  ASSERT_TRUE(store->Delete("dir/x").ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].target, "/bucket/pre/dir/a%20b%2Bc.sst");
  EXPECT_EQ(requests[0].body, "payload");
  EXPECT_EQ(requests[1].target,
            "/bucket?continuation-token=tok%2Fen%3D&list-type=2&max-keys=7&prefix=pre%2Fdir%2F");
  EXPECT_EQ(requests[2].headers.at("range"), "bytes=5-14");
  EXPECT_EQ(requests[3].method, "DELETE");
  for (const auto& request : requests) ExpectValidSignature(request);
}

TEST_F(S3BadInputTest, MultipartRequestsCarryAValidSigV4Signature) {
  std::string part(5 << 20, 'p');
  S3FakeServer server(
      {{200,
        "<InitiateMultipartUploadResult><UploadId>u/1</UploadId></InitiateMultipartUploadResult>"},
       {200, "", {"ETag: \"e1\""}},
       {200, "", {"ETag: \"e2\""}},
       {200, "<CompleteMultipartUploadResult/>"}});
  auto options = ParseS3Url("s3://bucket?endpoint=" + server.endpoint());
  ASSERT_TRUE(options.ok());
  options->access_key = kAccessKey;
  options->secret_key = kSecretKey;
  options->part_size = part.size();
  S3ObjectStore store(*options, &clock_);
  auto writer = store.NewWriter("big");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(part + "tail").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].target, "/bucket/big?uploads=");
  EXPECT_EQ(requests[1].target, "/bucket/big?partNumber=1&uploadId=u%2F1");
  EXPECT_EQ(requests[1].body.size(), part.size());
  EXPECT_EQ(requests[3].target, "/bucket/big?uploadId=u%2F1");
  for (const auto& request : requests) ExpectValidSignature(request);
}

// s3rver ignores If-None-Match, so the conditional requests and S3's 412 are played back.
TEST_F(S3BadInputTest, PutIfAbsentHeadsThenSendsAConditionalSignedPut) {
  S3FakeServer server({{404, ""}, {200, ""}});
  auto store = Store(server.endpoint());
  ASSERT_TRUE(store->PutIfAbsent("data/1.sst", "payload").ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "HEAD");
  EXPECT_EQ(requests[0].target, "/bucket/pre/data/1.sst");
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].headers["if-none-match"], "*");
  EXPECT_EQ(requests[1].body, "payload");
  for (const auto& request : requests) ExpectValidSignature(request);
  // A plain Put stays unconditional and sends no HEAD.
  ASSERT_TRUE(store->Put("data/1.sst", "payload").ok());
  requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].method, "PUT");
  EXPECT_EQ(requests[2].headers.count("if-none-match"), 0u);
}

TEST_F(S3BadInputTest, PreconditionFailedIsAlreadyExists) {
  // The HEAD misses the object (the race the header closes); S3 then refuses the PUT.
  S3FakeServer server(
      {{404, ""}, {412, ErrorXml("PreconditionFailed", "At least one of the preconditions")}});
  auto store = Store(server.endpoint());
  Status put = store->PutIfAbsent("data/2.sst", "payload");
  EXPECT_EQ(put.code(), ErrorCode::kAlreadyExists) << put.ToString();
  EXPECT_THAT(put.message(), HasSubstr("'data/2.sst'"));
  EXPECT_THAT(put.message(), HasSubstr(store->DescribeForLog()));
  EXPECT_EQ(server.requests().size(), 2u) << "a 412 is final: no retry";
}

TEST_F(S3BadInputTest, ExistingObjectFoundByHeadIsAlreadyExistsWithoutUpload) {
  S3FakeServer server({{200, "", {"Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT"}}});
  auto store = Store(server.endpoint());
  EXPECT_EQ(store->PutIfAbsent("data/3.sst", "x").code(), ErrorCode::kAlreadyExists);
  auto writer = store->NewWriter("data/3.sst", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("x").ok());
  EXPECT_EQ((*writer)->Finish().code(), ErrorCode::kAlreadyExists);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& request : requests) EXPECT_EQ(request.method, "HEAD");
}

TEST_F(S3BadInputTest, CreateOnlyMultipartCompletionIsConditionalAndAbortedOn412) {
  std::string part(5 << 20, 'x');
  S3FakeServer server(
      {{404, ""},
       {200,
        "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"},
       {200, "", {"ETag: \"e1\""}},
       {200, "", {"ETag: \"e2\""}},
       {404, ""},
       {412, ErrorXml("PreconditionFailed", "At least one of the preconditions")},
       {204, ""}});
  auto options = ParseS3Url("s3://bucket?endpoint=" + server.endpoint());
  ASSERT_TRUE(options.ok());
  options->access_key = kAccessKey;
  options->secret_key = kSecretKey;
  options->part_size = part.size();
  S3ObjectStore store(*options, &clock_);
  auto writer = store.NewWriter("big", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(part + "tail").ok());
  Status finish = (*writer)->Finish();
  EXPECT_EQ(finish.code(), ErrorCode::kAlreadyExists) << finish.ToString();
  EXPECT_THAT(finish.message(), HasSubstr("'big'"));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 7u);
  EXPECT_EQ(requests[0].method, "HEAD");  // before CreateMultipartUpload
  EXPECT_EQ(requests[1].target, "/bucket/big?uploads=");
  EXPECT_EQ(requests[1].headers.count("if-none-match"), 0u);
  EXPECT_EQ(requests[4].method, "HEAD");  // again before CompleteMultipartUpload
  EXPECT_EQ(requests[5].target, "/bucket/big?uploadId=u1");
  EXPECT_EQ(requests[5].headers["if-none-match"], "*");
  EXPECT_EQ(requests[6].method, "DELETE");  // the refused upload is aborted
  EXPECT_EQ(requests[6].target, "/bucket/big?uploadId=u1");
  for (const auto& request : requests) ExpectValidSignature(request);
}

TEST_F(S3BadInputTest, SecretNeverInDescribeForLog) {
  auto store = Store("http://127.0.0.1:1");
  EXPECT_EQ(store->DescribeForLog(), "s3://bucket/pre?endpoint=http://127.0.0.1:1");
  EXPECT_EQ(store->DescribeForLog().find(kSecretKey), std::string::npos);
}

TEST(S3UrlTest, RejectsMalformedUrls) {
  for (const char* url :
       {"s3://", "s3:///prefix", "s3://b", "s3://Bucket_Upper", "s3://user:pw@bucket",
        "s3://bucket:9000/p", "s3://bucket?endpoint=ftp://x", "s3://bucket?secret_key=zzz",
        "s3://bucket?region="}) {
    auto store = OpenObjectStore(url);
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << url;
    EXPECT_EQ(store.status().message().find("zzz"), std::string::npos) << store.status().ToString();
    EXPECT_EQ(store.status().message().find(":pw@"), std::string::npos)
        << store.status().ToString();
  }
}

TEST(S3UrlTest, ParsesBucketPrefixEndpointAndRegion) {
  auto options = ParseS3Url("s3://my-bucket/a/b?endpoint=http://127.0.0.1:9000/&region=eu-west-1");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->bucket, "my-bucket");
  EXPECT_EQ(options->prefix, "a/b/");
  EXPECT_EQ(options->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(options->region, "eu-west-1");
  auto aws = ParseS3Url("s3://my-bucket");
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->prefix, "");
  EXPECT_EQ(aws->endpoint, "https://s3.us-east-1.amazonaws.com");
}

TEST(S3UrlTest, CredentialsComeFromTheEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", kAccessKey, 1);
  setenv("AWS_SECRET_ACCESS_KEY", kSecretKey, 1);
  auto store = OpenObjectStore("s3://bucket?endpoint=http://127.0.0.1:1");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->DescribeForLog().find(kSecretKey), std::string::npos);
}

TEST(S3WrongBucketTest, MissingBucketOnRealServerNamesTheBucket) {
  CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_S3_URL");
  auto options = ParseS3Url(url);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  options->bucket = "no-such-bucket-cairn";
  options->access_key = ::cairn::testing::ExternalEndpoint("CAIRN_TEST_S3_ACCESS_KEY");
  options->secret_key = ::cairn::testing::ExternalEndpoint("CAIRN_TEST_S3_SECRET_KEY");
  S3ObjectStore store(*options, nullptr);
  Status put = store.Put("k", "v");
  EXPECT_TRUE(put.IsNotFound()) << put.ToString();
  EXPECT_NE(put.message().find("'no-such-bucket-cairn'"), std::string::npos) << put.ToString();
  auto list = store.List("", "", 10);
  EXPECT_TRUE(list.status().IsNotFound()) << list.status().ToString();
}

}  // namespace
}  // namespace cairn
