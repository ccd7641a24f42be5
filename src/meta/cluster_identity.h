// The cluster identity object (docs/backup-format.md "Identity"): `cluster/identity.json`
// in the object store names the cluster whose SSTs the store holds. It is written once,
// create-only, at a new cluster's first start (or by the restore or first start that
// adopts a pre-identity object store) and never rewritten. It lives in the object store
// because that is what survives losing the meta store: a server that finds it with a
// missing or different meta store knows the data is not its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr std::string_view kClusterIdentityKey = "cluster/identity.json";
inline constexpr uint32_t kClusterIdentityFormatVersion = 1;

struct ClusterIdentity {
  uint32_t format_version = kClusterIdentityFormatVersion;
  std::string cluster_id;
  int64_t created_ms = 0;
  std::string meta_store;  // the meta store it was created with (secrets removed), for errors
  std::string created_by;  // "server" or "restore of snapshot N"
};

std::string EncodeClusterIdentity(const ClusterIdentity& identity);
// Corruption for bytes that are not an identity; NotSupported for a newer format version.
// `where` names the object in errors.
Result<ClusterIdentity> DecodeClusterIdentity(std::string_view bytes, const std::string& where);

// The store's identity, nullopt when it has none.
Result<std::optional<ClusterIdentity>> ReadClusterIdentity(ObjectStore* store);

// Writes `identity` unless the store already has one. An existing identity of the same
// cluster is fine (a concurrent writer, a rerun restore); another cluster's is
// FailedPrecondition. Never overwrites.
Status WriteClusterIdentity(ObjectStore* store, const ClusterIdentity& identity);

// "object store fs:///d/data belongs to cluster 3c8c… (created 2026-…, meta store …)".
std::string DescribeOwner(ObjectStore* store, const ClusterIdentity& identity);

}  // namespace cairn
