#include "object_store/s3_util.h"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <ctime>

namespace cairn {
namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Parses exactly `len` decimal digits at `text[pos]`; -1 when they are not digits.
int Digits(std::string_view text, size_t pos, size_t len) {
  if (pos + len > text.size()) return -1;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, value);
  return ec == std::errc() && end == text.data() + pos + len ? value : -1;
}

int MonthIndex(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<int64_t> ToMillis(std::string_view text, int year, int month0, int day, int hour, int min,
                         int sec, int millis) {
  if (year < 1970 || month0 < 0 || month0 > 11 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      min < 0 || min > 59 || sec < 0 || sec > 60 || millis < 0) {
    return Status::Corruption("malformed S3 timestamp '" + std::string(text) + "'");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month0;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string AwsUriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<int64_t> ParseHttpDateMillis(std::string_view text) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") {
    return Status::Corruption("malformed HTTP date '" + std::string(text) + "'");
  }
  return ToMillis(text, Digits(text, 12, 4), MonthIndex(text.substr(8, 3)), Digits(text, 5, 2),
                  Digits(text, 17, 2), Digits(text, 20, 2), Digits(text, 23, 2), 0);
}

Result<int64_t> ParseIso8601Millis(std::string_view text) {
  // "2026-11-25T19:10:21Z" or with fractional seconds "…:21.123Z".
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return Status::Corruption("malformed ISO 8601 time '" + std::string(text) + "'");
  }
  int millis = 0;
  if (text.size() > 20) {
    if (text[19] != '.')
      return Status::Corruption("malformed ISO 8601 time '" + std::string(text) + "'");
    std::string frac(text.substr(20, text.size() - 21));
    frac = (frac + "000").substr(0, 3);
    millis = Digits(frac, 0, 3);
  }
  return ToMillis(text, Digits(text, 0, 4), Digits(text, 5, 2) - 1, Digits(text, 8, 2),
                  Digits(text, 11, 2), Digits(text, 14, 2), Digits(text, 17, 2), millis);
}

}  // namespace cairn
