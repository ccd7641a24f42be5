#include "meta_store/etcd_client.h"

#include <charconv>

namespace cairn {
namespace {

constexpr long kConnectTimeoutMillis = 3000;
// A request that moves no byte for this long has failed (the server hung); large
// transactions on a busy server legitimately take a while, so there is no total cap.
constexpr long kStallSeconds = 60;

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// etcd's gateway reports gRPC status codes; map the ones a caller can act on.
Status FromGrpcCode(int code, std::string message) {
  switch (code) {
    case 3:   // INVALID_ARGUMENT
    case 8:   // RESOURCE_EXHAUSTED (a request over the server's size limit)
    case 11:  // OUT_OF_RANGE (compacted or future revision)
      return Status::InvalidArgument(std::move(message));
    case 4:   // DEADLINE_EXCEEDED
    case 14:  // UNAVAILABLE
      return Status::Unavailable(std::move(message));
    case 7:   // PERMISSION_DENIED
    case 16:  // UNAUTHENTICATED
      return Status::PermissionDenied(std::move(message));
    case 10:  // ABORTED
      return Status::Aborted(std::move(message));
    default:
      return Status::IOError(std::move(message));
  }
}

}  // namespace

EtcdClient::EtcdClient(std::string host, int port, std::string describe)
    : endpoint_(host + ":" + std::to_string(port)),
      base_url_("http://" + endpoint_ + "/v3/"),
      describe_(std::move(describe)) {
  GlobalInitOnce();
}

EtcdClient::~EtcdClient() {
  for (CURL* handle : idle_) curl_easy_cleanup(handle);
}

CURL* EtcdClient::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      CURL* handle = idle_.back();
      idle_.pop_back();
      curl_easy_reset(handle);  // keeps the connection cache
      return handle;
    }
  }
  return curl_easy_init();
}

void EtcdClient::ReleaseHandle(CURL* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(handle);
}

Result<nlohmann::json> EtcdClient::Call(std::string_view method, const nlohmann::json& request) {
  const std::string url = base_url_ + std::string(method);
  const std::string body = request.dump();
  std::string reply;
  CURL* curl = AcquireHandle();
  if (curl == nullptr) return Status::IOError("etcd " + describe_ + ": curl_easy_init failed");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMillis);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_slist_free_all(headers);
  ReleaseHandle(curl);
  if (rc != CURLE_OK) {
    return Status::Unavailable("cannot reach etcd at " + endpoint_ + " (" + describe_ +
                               "): " + curl_easy_strerror(rc));
  }
  if (http_status != 200) return ErrorReply(http_status, reply);
  nlohmann::json parsed = nlohmann::json::parse(reply, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Status::Corruption("etcd at " + endpoint_ + " sent a reply that is not JSON to " +
                              std::string(method));
  }
  return parsed;
}

Status EtcdClient::ErrorReply(long http_status, const std::string& body) const {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string prefix = "etcd at " + endpoint_ + " (" + describe_ + "): ";
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()) {
    int code = parsed.contains("code") && parsed["code"].is_number_integer()
                   ? parsed["code"].get<int>()
                   : 2;  // UNKNOWN
    return FromGrpcCode(code, prefix + parsed["error"].get<std::string>());
  }
  std::string excerpt = body.substr(0, 200);
  for (char& c : excerpt) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (http_status == 404) {
    return Status::NotSupported(prefix + "no v3 JSON gateway (HTTP 404); is this etcd >= 3.4?");
  }
  return Status::IOError(prefix + "HTTP " + std::to_string(http_status) + ": " + excerpt);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64Value(c);
    if (v < 0) return Status::Corruption("malformed base64 in an etcd reply");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

int64_t EtcdInt(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) return 0;
  const std::string& s = it->get_ref<const std::string&>();
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

Result<std::string> EtcdBytes(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) return std::string();
  return Base64Decode(it->get_ref<const std::string&>());
}

}  // namespace cairn
