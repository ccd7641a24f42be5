#include "meta/cluster_identity.h"

#include <nlohmann/json.hpp>

#include "meta/time_spec.h"

namespace cairn {

std::string EncodeClusterIdentity(const ClusterIdentity& identity) {
  nlohmann::json json = {{"format_version", identity.format_version},
                         {"cluster_id", identity.cluster_id},
                         {"created_ms", identity.created_ms},
                         {"meta_store", identity.meta_store},
                         {"created_by", identity.created_by}};
  return json.dump(2) + "\n";
}

Result<ClusterIdentity> DecodeClusterIdentity(std::string_view bytes, const std::string& where) {
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  auto bad = [&] {
    return Status::Corruption("cluster identity " + where +
                              " is damaged (not an identity object); it names the cluster "
                              "that owns the object store: restore it from a copy or ask "
                              "before starting anything on this store");
  };
  if (json.is_discarded() || !json.is_object() || !json.contains("format_version") ||
      !json["format_version"].is_number_unsigned()) {
    return bad();
  }
  ClusterIdentity out;
  out.format_version = json["format_version"].get<uint32_t>();
  if (out.format_version > kClusterIdentityFormatVersion) {
    return Status::NotSupported("cluster identity " + where + " has format version " +
                                std::to_string(out.format_version) + "; this cairn reads up to " +
                                std::to_string(kClusterIdentityFormatVersion) + " (upgrade cairn)");
  }
  if (!json.contains("cluster_id") || !json["cluster_id"].is_string() ||
      json["cluster_id"].get<std::string>().empty() || !json.contains("created_ms") ||
      !json["created_ms"].is_number_integer()) {
    return bad();
  }
  for (const char* optional : {"meta_store", "created_by"}) {
    if (json.contains(optional) && !json[optional].is_string()) return bad();
  }
  out.cluster_id = json["cluster_id"].get<std::string>();
  out.created_ms = json["created_ms"].get<int64_t>();
  out.meta_store = json.value("meta_store", "");
  out.created_by = json.value("created_by", "");
  return out;
}

Result<std::optional<ClusterIdentity>> ReadClusterIdentity(ObjectStore* store) {
  auto bytes = store->Get(kClusterIdentityKey);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) return std::optional<ClusterIdentity>();
    return bytes.status();
  }
  std::string where = std::string(kClusterIdentityKey) + " in " + store->DescribeForLog();
  CAIRN_ASSIGN_OR_RETURN(ClusterIdentity identity, DecodeClusterIdentity(*bytes, where));
  return std::optional<ClusterIdentity>(std::move(identity));
}

Status WriteClusterIdentity(ObjectStore* store, const ClusterIdentity& identity) {
  Status put = store->PutIfAbsent(kClusterIdentityKey, EncodeClusterIdentity(identity));
  if (put.ok() || put.code() != ErrorCode::kAlreadyExists) return put;
  CAIRN_ASSIGN_OR_RETURN(auto existing, ReadClusterIdentity(store));
  if (existing && existing->cluster_id == identity.cluster_id) return Status::OK();
  return Status::FailedPrecondition(
      existing ? DescribeOwner(store, *existing) + ", not to cluster " + identity.cluster_id
               : "cluster identity of " + store->DescribeForLog() + " vanished while written");
}

std::string DescribeOwner(ObjectStore* store, const ClusterIdentity& identity) {
  std::string out = "object store " + store->DescribeForLog() + " belongs to cluster " +
                    identity.cluster_id + " (created " + FormatRfc3339Millis(identity.created_ms);
  if (!identity.meta_store.empty()) out += " with meta store " + identity.meta_store;
  return out + ")";
}

}  // namespace cairn
