#include "object_store/s3_object_store.h"

#include <algorithm>
#include <charconv>

#include "common/clock.h"
#include "object_store/s3_error.h"
#include "object_store/s3_util.h"
#include "object_store/s3_writer.h"
#include "object_store/s3_xml.h"

namespace cairn {
namespace {

constexpr size_t kMaxListKeys = 1000;  // S3's page size limit

Result<uint64_t> ParseSize(const S3Response& response, std::string_view key) {
  std::string text = response.Header("content-length");
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::Corruption("S3 HEAD of " + QuoteObjectKey(key) + " has no valid Content-Length");
  }
  return size;
}

}  // namespace

S3ObjectStore::S3ObjectStore(S3Options options, Clock* clock)
    : http_(std::move(options), clock != nullptr ? clock : SystemClock::Default()) {}

std::string S3ObjectStore::FullKey(std::string_view key) const {
  return http_.options().prefix + std::string(key);
}

std::string S3ObjectStore::DescribeForLog() const { return http_.options().redacted_url; }

Status S3ObjectStore::Put(std::string_view key, std::string_view data) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  return S3PutObject(http_, FullKey(key), data, WriteMode::kOverwrite);
}

Status S3ObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  return S3PutObject(http_, FullKey(key), data, WriteMode::kCreateOnly);
}

Result<std::unique_ptr<ObjectWriter>> S3ObjectStore::NewWriter(std::string_view key,
                                                               WriteMode mode) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<S3ObjectWriter>(&http_, FullKey(key), mode));
}

Result<std::string> S3ObjectStore::Get(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  CAIRN_ASSIGN_OR_RETURN(S3Response response, S3Call(http_, {.key = FullKey(key)}));
  return std::move(response.body);
}

Result<std::string> S3ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                            uint64_t length) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (length == 0) {
    CAIRN_RETURN_IF_ERROR(Head(key).status());  // still NotFound for a missing object
    return std::string();
  }
  // An open-ended range ("bytes=N-") when the end would not fit in 64 bits.
  std::string range = "Range: bytes=" + std::to_string(offset) + "-";
  if (length <= UINT64_MAX - offset) range += std::to_string(offset + length - 1);
  S3Request get{.key = FullKey(key), .headers = {range}};
  CAIRN_ASSIGN_OR_RETURN(S3Response response, http_.Send(get));
  if (response.status == 416) return std::string();  // offset at or past the end: clipped
  if (response.status != 200 && response.status != 206) {
    return S3ResponseStatus(http_.options(), get, response);
  }
  // A server that ignores Range answers 200 with the whole object.
  if (response.status == 200) {
    if (offset >= response.body.size()) return std::string();
    return response.body.substr(offset, length);
  }
  return std::move(response.body);
}

Result<ObjectMeta> S3ObjectStore::Head(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  CAIRN_ASSIGN_OR_RETURN(S3Response response,
                         S3Call(http_, {.method = "HEAD", .key = FullKey(key)}));
  ObjectMeta meta;
  meta.key = std::string(key);
  CAIRN_ASSIGN_OR_RETURN(meta.size, ParseSize(response, key));
  CAIRN_ASSIGN_OR_RETURN(meta.mtime_ms, ParseHttpDateMillis(response.Header("last-modified")));
  return meta;
}

Status S3ObjectStore::Delete(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
  S3Request del{.method = "DELETE", .key = FullKey(key)};
  CAIRN_ASSIGN_OR_RETURN(S3Response response, http_.Send(del));
  // S3 answers 204 for a missing key; some compatible servers say 404 NoSuchKey.
  if (response.status == 404 && ParseS3Error(response.body).code != "NoSuchBucket") {
    return Status::OK();
  }
  if (response.status < 200 || response.status > 299) {
    return S3ResponseStatus(http_.options(), del, response);
  }
  return Status::OK();
}

// S3 returns at most 1000 keys per request; pages of `limit` are filled from as many
// requests as needed so that every page but the last is full.
Result<ListPage> S3ObjectStore::List(std::string_view prefix, std::string_view token,
                                     size_t limit) {
  if (limit == 0) return Status::InvalidArgument("List limit must be > 0");
  const std::string& store_prefix = http_.options().prefix;
  ListPage page;
  page.next_token = std::string(token);
  do {
    size_t want = std::min(limit - page.objects.size(), kMaxListKeys);
    S3Request list{.query = {{"list-type", "2"},
                             {"prefix", store_prefix + std::string(prefix)},
                             {"max-keys", std::to_string(want)}}};
    if (!page.next_token.empty()) list.query.emplace_back("continuation-token", page.next_token);
    CAIRN_ASSIGN_OR_RETURN(S3Response response, S3Call(http_, list));
    CAIRN_ASSIGN_OR_RETURN(S3ListResult result, ParseListObjectsV2(response.body));
    if (result.objects.size() > want) {
      return Status::Corruption("S3 listing returned " + std::to_string(result.objects.size()) +
                                " keys for max-keys " + std::to_string(want));
    }
    for (ObjectMeta& meta : result.objects) {
      if (meta.key.rfind(store_prefix, 0) != 0) {
        return Status::Corruption("S3 listing of prefix '" + store_prefix +
                                  "' returned key outside it: '" + meta.key + "'");
      }
      meta.key.erase(0, store_prefix.size());
      page.objects.push_back(std::move(meta));
    }
    page.next_token = std::move(result.next_token);
  } while (!page.next_token.empty() && page.objects.size() < limit);
  return page;
}

Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(std::string_view url,
                                                       const ObjectStoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(S3Options s3, ParseS3Url(url));
  LoadS3CredentialsFromEnv(&s3);
  return std::unique_ptr<ObjectStore>(
      std::make_unique<S3ObjectStore>(std::move(s3), options.clock));
}

}  // namespace cairn
