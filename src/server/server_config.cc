#include "server/server_config.h"

#include <toml++/toml.h>

#include <charconv>
#include <filesystem>
#include <map>

#include "common/url.h"
#include "meta/duration.h"

namespace cairn::server {
namespace {

std::map<std::string, std::string ServerOptions::*> Fields() {
  return {{"data_dir", &ServerOptions::data_dir},
          {"listen", &ServerOptions::listen},
          {"http_listen", &ServerOptions::http_listen},
          {"meta_store", &ServerOptions::meta_store},
          {"object_store", &ServerOptions::object_store},
          {"backup_storage", &ServerOptions::backup_storage},
          {"auth_token_file", &ServerOptions::auth_token_file},
          {"log_level", &ServerOptions::log_level},
          {"lease_ttl", &ServerOptions::lease_ttl},
          {"max_changelog_backlog", &ServerOptions::max_changelog_backlog},
          {"shutdown_grace", &ServerOptions::shutdown_grace},
          {"max_background_compactions", &ServerOptions::max_background_compactions},
          {"tls_cert", &ServerOptions::tls_cert_file},
          {"tls_key", &ServerOptions::tls_key_file},
          {"tls_ca", &ServerOptions::tls_ca_file},
          {"backup_encryption_key_file", &ServerOptions::backup_key_files}};
}

std::string Where(const std::string& path, const toml::source_region& source) {
  return path + ":" + std::to_string(source.begin.line);
}

Result<int64_t> ResolveLeaseTtl(const std::string& text) {
  if (text.empty()) return kDefaultLeaseTtlMs;
  auto ms = ParseDurationMs(text);
  if (!ms.ok()) return ms.status().WithContext("--lease-ttl");
  if (*ms < kMinLeaseTtlMs || *ms > kMaxLeaseTtlMs) {
    return Status::InvalidArgument("--lease-ttl '" + text + "' is out of range: must be " +
                                   FormatDurationMs(kMinLeaseTtlMs) + " to " +
                                   FormatDurationMs(kMaxLeaseTtlMs));
  }
  return *ms;
}

Result<int64_t> ResolveShutdownGrace(const std::string& text) {
  if (text.empty()) return kDefaultShutdownGraceMs;
  auto ms = ParseDurationMs(text);
  if (!ms.ok()) return ms.status().WithContext("--shutdown-grace");
  if (*ms < 0 || *ms > kMaxShutdownGraceMs) {
    return Status::InvalidArgument("--shutdown-grace '" + text +
                                   "' is out of range: must be 0s to " +
                                   FormatDurationMs(kMaxShutdownGraceMs));
  }
  return *ms;
}

Result<uint64_t> ResolveBacklog(const std::string& text) {
  if (text.empty()) return kDefaultMaxChangelogBacklog;
  uint64_t records = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), records);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("--max-changelog-backlog '" + text +
                                   "': expected a number of changelog records (0 = no limit)");
  }
  return records;
}

Result<int> ResolveBackgroundCompactions(const std::string& text) {
  if (text.empty()) return kDefaultBackgroundCompactions;
  int threads = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), threads);
  if (ec != std::errc() || end != text.data() + text.size() || threads < 1 ||
      threads > kMaxBackgroundCompactions) {
    return Status::InvalidArgument("--max-background-compactions '" + text +
                                   "': expected a number of compaction threads, 1 to " +
                                   std::to_string(kMaxBackgroundCompactions));
  }
  return threads;
}

Status CheckTlsFiles(const ServerOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key must be given together");
  }
  if (!options.tls_ca_file.empty() && options.tls_cert_file.empty()) {
    return Status::InvalidArgument("--tls-ca (client certificates) needs --tls-cert and --tls-key");
  }
  return Status::OK();
}

}  // namespace

Result<ServerOptions> ReadConfigFile(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Status::InvalidArgument("config file " + path + " does not exist");
  }
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return Status::InvalidArgument("config file " + Where(path, error.source()) + ": " +
                                   std::string(error.description()));
  }
  ServerOptions options;
  auto fields = Fields();
  for (const auto& [key, node] : table) {
    auto field = fields.find(std::string(key.str()));
    if (field == fields.end()) {
      return Status::InvalidArgument("config file " + Where(path, key.source()) +
                                     ": unknown key '" + std::string(key.str()) + "'");
    }
    auto value = node.value<std::string>();
    if (!value) {
      return Status::InvalidArgument("config file " + Where(path, node.source()) + ": key '" +
                                     field->first + "' must be a string");
    }
    options.*(field->second) = *value;
  }
  return options;
}

ServerOptions MergeOptions(const ServerOptions& file, const ServerOptions& flags) {
  ServerOptions out = file;
  for (const auto& [name, member] : Fields()) {
    if (!(flags.*member).empty()) out.*member = flags.*member;
  }
  out.allow_core_dumps = flags.allow_core_dumps;
  return out;
}

Result<ServerOptions> ResolveServerOptions(ServerOptions options) {
  if (!options.data_dir.empty()) {
    std::error_code ec;
    auto dir = std::filesystem::absolute(options.data_dir, ec);
    for (const char* sub : {"", "data", "backup"}) {
      std::filesystem::create_directories(dir / sub, ec);
      if (ec) {
        return Status::IOError("cannot create data directory " + (dir / sub).string() + ": " +
                               ec.message());
      }
    }
    dir = std::filesystem::canonical(dir, ec);
    options.data_dir = dir.string();
    if (options.meta_store.empty()) options.meta_store = "sqlite://" + (dir / "meta.db").string();
    if (options.object_store.empty()) options.object_store = "fs://" + (dir / "data").string();
    if (options.backup_storage.empty()) {
      options.backup_storage = "fs://" + (dir / "backup").string();
    }
  }
  if (options.meta_store.empty() || options.object_store.empty()) {
    return Status::InvalidArgument(
        "no storage configured: pass --data-dir, or both --meta-store and --object-store");
  }
  if (options.listen.empty()) options.listen = kDefaultListen;
  if (options.http_listen.empty()) options.http_listen = kDefaultHttpListen;
  if (options.log_level.empty()) options.log_level = "info";
  CAIRN_ASSIGN_OR_RETURN(options.lease_ttl_ms, ResolveLeaseTtl(options.lease_ttl));
  CAIRN_ASSIGN_OR_RETURN(options.max_changelog_backlog_records,
                         ResolveBacklog(options.max_changelog_backlog));
  CAIRN_ASSIGN_OR_RETURN(options.shutdown_grace_ms, ResolveShutdownGrace(options.shutdown_grace));
  CAIRN_ASSIGN_OR_RETURN(options.background_compactions,
                         ResolveBackgroundCompactions(options.max_background_compactions));
  CAIRN_RETURN_IF_ERROR(CheckTlsFiles(options));
  std::string host;
  int port = 0;
  CAIRN_RETURN_IF_ERROR(ParseHostPort(options.listen, "--listen", &host, &port));
  CAIRN_RETURN_IF_ERROR(ParseHostPort(options.http_listen, "--http-listen", &host, &port));
  return options;
}

Status RejectSecretsInFlags(const ServerOptions& flags) {
  if (!HasEmbeddedCredentials(flags.meta_store)) return Status::OK();
  return Status::InvalidArgument(
      "--meta-store holds a password, which every local user can read in the process list; "
      "put it in PGPASSWORD or ~/.pgpass (PostgreSQL), or in the meta_store key of a "
      "--config file readable only by the server's user");
}

Status RejectCredentialsInStorageUrls(const ServerOptions& options) {
  for (const auto& [flag, url] : {std::pair{"--object-store", &options.object_store},
                                  std::pair{"--backup-storage", &options.backup_storage}}) {
    if (HasEmbeddedCredentials(*url)) {
      return Status::InvalidArgument(
          std::string(flag) +
          " holds a credential, which would be logged and stored in the metadata; S3 keys "
          "come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
    }
  }
  return Status::OK();
}

Status ParseHostPort(const std::string& addr, const char* what, std::string* host, int* port) {
  size_t colon = addr.rfind(':');
  auto invalid = [&] {
    return Status::InvalidArgument(std::string(what) + " '" + addr +
                                   "': expected HOST:PORT, e.g. 127.0.0.1:7600");
  };
  if (colon == std::string::npos || colon == 0) return invalid();
  const char* begin = addr.data() + colon + 1;
  const char* end = addr.data() + addr.size();
  auto [ptr, ec] = std::from_chars(begin, end, *port);
  if (begin == end || ec != std::errc() || ptr != end || *port < 0 || *port > 65535) {
    return invalid();
  }
  *host = addr.substr(0, colon);
  return Status::OK();
}

}  // namespace cairn::server
