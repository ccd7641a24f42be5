// The conformance suite against the s3rver started by scripts/test-servers.sh, one key
// prefix per test in the shared bucket; plus S3-specific multipart checks.
#include <cstdlib>
#include <memory>

#include "object_store/s3_object_store.h"
#include "object_store/s3_options.h"
#include "object_store_conformance.h"
#include "testing/test_util.h"

namespace cairn::testing {
namespace {

// The S3 store reads credentials from the environment, as in production.
void ExportCredentials() {
  setenv("AWS_ACCESS_KEY_ID", ExternalEndpoint("CAIRN_TEST_S3_ACCESS_KEY").c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", ExternalEndpoint("CAIRN_TEST_S3_SECRET_KEY").c_str(), 1);
}

// "s3://bucket?endpoint=..." -> "s3://bucket/PREFIX?endpoint=..."
std::string WithPrefix(const std::string& url, const std::string& prefix) {
  size_t query = url.find('?');
  std::string base = url.substr(0, query);
  if (base.back() != '/') base += '/';
  return base + prefix + (query == std::string::npos ? "" : url.substr(query));
}

ObjectStoreBackend S3Backend() {
  ObjectStoreBackend backend;
  backend.name = "s3";
  backend.prepare = [](const std::string& test_id) -> ObjectStoreOpener {
    std::string url = ExternalEndpoint("CAIRN_TEST_S3_URL");
    if (url.empty() && ExternalTestsDisabled()) {
      // A skip recorded during SetUp keeps the test body from running.
      [] { GTEST_SKIP() << "CAIRN_TEST_EXTERNAL=0"; }();
      return [] { return OpenObjectStore("mem://s3-skipped"); };
    }
    ExportCredentials();
    return [url, test_id]() -> Result<std::unique_ptr<ObjectStore>> {
      if (url.empty()) {
        return Status::InvalidArgument(
            "CAIRN_TEST_S3_URL is not set: run tests through scripts/test.sh, which starts "
            "s3rver (see scripts/test-servers.sh)");
      }
      return OpenObjectStore(WithPrefix(url, "conformance/" + test_id));
    };
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformanceTest, ::testing::Values(S3Backend()),
                         BackendName);

class S3MultipartTest : public ::testing::Test {
 protected:
  // A store with the smallest part size S3 allows, under a prefix unique to the test.
  std::unique_ptr<S3ObjectStore> Store(const std::string& url) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto options = ParseS3Url(
        WithPrefix(url, std::string("multipart/") + info->name() + "-" + std::to_string(getpid())));
    EXPECT_TRUE(options.ok()) << options.status().ToString();
    ExportCredentials();
    LoadS3CredentialsFromEnv(&*options);
    options->part_size = 5 << 20;
    return std::make_unique<S3ObjectStore>(*options, nullptr);
  }
};

TEST_F(S3MultipartTest, PartsAreReassembledInOrder) {
  CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_S3_URL");
  auto store = Store(url);
  std::string want;
  auto writer = store->NewWriter("obj");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // 3 parts: 5 MiB, 5 MiB and a short tail; every byte says which chunk it came from.
  for (int i = 0; want.size() < (10 << 20) + 777; ++i) {
    std::string chunk(std::min<size_t>(1'000'003, (10 << 20) + 777 - want.size()),
                      static_cast<char>('a' + i % 26));
    want += chunk;
    ASSERT_TRUE((*writer)->Append(chunk).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
  auto got = store->Get("obj");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), want.size());
  EXPECT_TRUE(*got == want);
  EXPECT_TRUE(store->Delete("obj").ok());
}

TEST_F(S3MultipartTest, AbortAfterUploadedPartsLeavesNothing) {
  CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_S3_URL");
  auto store = Store(url);
  {
    auto writer = store->NewWriter("aborted");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string((5 << 20) + 1, 'x')).ok());  // one part sent
    (*writer)->Abort();
    EXPECT_EQ((*writer)->Finish().code(), ErrorCode::kAborted);
  }
  EXPECT_TRUE(store->Head("aborted").status().IsNotFound());
  auto page = store->List("", "", 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->objects.empty());
}

// Three 5 MiB parts' worth (two full parts and a tail), every byte naming its chunk.
std::string MultipartBytes(char first) {
  std::string out;
  for (int i = 0; out.size() < (10 << 20) + 777; ++i) {
    out += std::string(std::min<size_t>(1'000'003, (10 << 20) + 777 - out.size()),
                       static_cast<char>(first + i % 26));
  }
  return out;
}

TEST_F(S3MultipartTest, CreateOnlyMultipartUploadCreatesANewKey) {
  CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_S3_URL");
  auto store = Store(url);
  const std::string want = MultipartBytes('a');
  auto writer = store->NewWriter("obj", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Append(want).ok());
  Status finish = (*writer)->Finish();
  ASSERT_TRUE(finish.ok()) << finish.ToString();
  auto got = store->Get("obj");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == want);
  EXPECT_TRUE(store->Delete("obj").ok());
}

// The object exists before the upload starts: refused before any part is sent (a HEAD
// catches it, which is all s3rver, ignoring If-None-Match, leaves to check).
TEST_F(S3MultipartTest, CreateOnlyMultipartUploadOnAnExistingKeyKeepsTheOldBytes) {
  CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_S3_URL");
  auto store = Store(url);
  ASSERT_TRUE(store->Put("obj", "old bytes").ok());
  auto writer = store->NewWriter("obj", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  Status append = (*writer)->Append(MultipartBytes('a'));
  EXPECT_EQ(append.code(), ErrorCode::kAlreadyExists) << append.ToString();
  Status finish = (*writer)->Finish();
  EXPECT_EQ(finish.code(), ErrorCode::kAlreadyExists) << finish.ToString();
  EXPECT_NE(finish.message().find("'obj'"), std::string::npos) << finish.ToString();
  auto got = store->Get("obj");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "old bytes");
  EXPECT_TRUE(store->Delete("obj").ok());
}

// The object appears after parts were uploaded: CompleteMultipartUpload is refused and
// the upload aborted.
TEST_F(S3MultipartTest, CreateOnlyMultipartUploadLosesToAnObjectCreatedMeanwhile) {
  CAIRN_REQUIRE_EXTERNAL(url, "CAIRN_TEST_S3_URL");
  auto store = Store(url);
  auto writer = store->NewWriter("obj", WriteMode::kCreateOnly);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Append(MultipartBytes('a')).ok());  // two parts sent
  ASSERT_TRUE(store->PutIfAbsent("obj", "winner bytes").ok());
  Status finish = (*writer)->Finish();
  EXPECT_EQ(finish.code(), ErrorCode::kAlreadyExists) << finish.ToString();
  auto got = store->Get("obj");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "winner bytes");
  EXPECT_TRUE(store->Delete("obj").ok());
}

}  // namespace
}  // namespace cairn::testing
