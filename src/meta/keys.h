// The registry of every meta-store key prefix cairn writes (design.md §1).
// Every key cairn writes starts with one of these prefixes; the backup guard test
// checks that each is either snapshotted or explicitly excluded. Add new metadata
// here, never as a string literal elsewhere.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::keys {

// --- 1. storage metadata ---
// storage/version -> VersionHeader (version id, max committed epoch)
inline constexpr std::string_view kStorageVersion = "storage/version";
// storage/sst/<object id: 16 hex> -> SstMeta (level, key range, epochs, size, tables).
// One key per SST: a version delta is a set of puts/deletes here, recorded by the changelog.
inline constexpr std::string_view kStorageSstPrefix = "storage/sst/";
// storage/stale/<object id: 16 hex> -> stale epoch (the epoch at which it left the version)
inline constexpr std::string_view kStorageStalePrefix = "storage/stale/";

// --- 2. catalog (multi-versioned) ---
// catalog/version -> u64 bumped by every DDL
inline constexpr std::string_view kCatalogVersion = "catalog/version";
// catalog/table/<table id: 8 hex> -> TableRecord (kept after drop, with dropped epoch)
inline constexpr std::string_view kCatalogTablePrefix = "catalog/table/";
// catalog/name/<name> -> table id of the live table with that name
inline constexpr std::string_view kCatalogNamePrefix = "catalog/name/";

// --- 3. monotonic values ---
// ids/<generator> -> next id to hand out (decimal)
inline constexpr std::string_view kIdPrefix = "ids/";
inline constexpr std::string_view kClusterId = "cluster/id";
// cluster/timeline -> the cluster's timeline (decimal; absent = 1). A restore sets it to
// the new timeline it starts (backup/timeline.h).
inline constexpr std::string_view kClusterTimeline = "cluster/timeline";

// --- 4. everything else ---
inline constexpr std::string_view kUserPrefix = "user/";      // user/<name> -> UserRecord
inline constexpr std::string_view kParamPrefix = "param/";    // param/<name> -> value text
inline constexpr std::string_view kBackupPrefix = "backup/";  // backup pins and state
// schedule/backup -> the backup schedule (backup/schedule_policy.h EncodeSchedule); absent
// = no schedule. Snapshotted: a restore brings the schedule back.
inline constexpr std::string_view kSchedulePrefix = "schedule/";
inline constexpr std::string_view kBackupSchedule = "schedule/backup";
// clone/base -> the clone's base (meta/clone_base.h): the clusters whose SSTs below each
// boundary id it reads in place (docs/clones.md). Absent = not a clone. Snapshotted: a
// restored clone is still a clone.
inline constexpr std::string_view kClonePrefix = "clone/";
inline constexpr std::string_view kCloneBase = "clone/base";
// backup/pin/<backup id: 16 hex> -> "epoch max_object_id [storage_id created_ms]"
// (docs/backup-format.md)
inline constexpr std::string_view kBackupPinPrefix = "backup/pin/";
// backup/timeline_pin -> "first_object_id created_ms": written by a restore; vacuum keeps
// every object below first_object_id (the older timelines') for pitr_retention after
// created_ms, so PITR on an older timeline keeps working (docs/pitr.md "Timelines").
inline constexpr std::string_view kTimelinePin = "backup/timeline_pin";
// backup/timeline_history -> this cluster's timeline history object (JSON, as in
// backup storage's timelines/<N>.json); the archiver publishes it where it archives.
inline constexpr std::string_view kTimelineHistory = "backup/timeline_history";

// --- the changelog (unified metadata WAL, design.md §4) ---
// changelog/<seq: 20 digits> -> encoded ChangelogRecord. Not part of snapshots: it is
// archived to backup storage; a snapshot records its changelog seq instead.
inline constexpr std::string_view kChangelogPrefix = "changelog/";
// The seq of the last changelog record. Written by every commit; part of snapshots.
inline constexpr std::string_view kChangelogSeq = "meta/changelog_seq";

// --- excluded from snapshots: leases, in-flight job markers ---
inline constexpr std::string_view kTransientPrefix = "transient/";
// restore/in_progress -> what is being restored (meta/restore_marker.h). Written by the
// first restore txn, deleted by the last; a server refuses a meta store that has it.
inline constexpr std::string_view kRestorePrefix = "restore/";
inline constexpr std::string_view kRestoreMarker = "restore/in_progress";

// Every prefix that backups include; the rest of the keyspace is excluded.
inline constexpr std::array<std::string_view, 14> kSnapshotPrefixes = {
    kStorageVersion,     kStorageSstPrefix,  kStorageStalePrefix, kCatalogVersion,
    kCatalogTablePrefix, kCatalogNamePrefix, kIdPrefix,           kClusterId,
    kClusterTimeline,    kUserPrefix,        kParamPrefix,        kChangelogSeq,
    kSchedulePrefix,     kClonePrefix};
// Prefixes deliberately left out of snapshots (with the reason above).
inline constexpr std::array<std::string_view, 4> kExcludedPrefixes = {
    kChangelogPrefix, kTransientPrefix, kBackupPrefix, kRestorePrefix};

// Fixed-width hex so that memcmp order equals numeric order.
std::string Hex16(uint64_t v);
std::string Hex8(uint32_t v);

inline std::string SstKey(uint64_t object_id) {
  return std::string(kStorageSstPrefix) + Hex16(object_id);
}
inline std::string StaleKey(uint64_t object_id) {
  return std::string(kStorageStalePrefix) + Hex16(object_id);
}
inline std::string TableKey(uint32_t table_id) {
  return std::string(kCatalogTablePrefix) + Hex8(table_id);
}
inline std::string TableNameKey(std::string_view name) {
  return std::string(kCatalogNamePrefix) + std::string(name);
}
inline std::string IdKey(std::string_view generator) {
  return std::string(kIdPrefix) + std::string(generator);
}
inline std::string UserKey(std::string_view name) {
  return std::string(kUserPrefix) + std::string(name);
}
inline std::string ParamKey(std::string_view name) {
  return std::string(kParamPrefix) + std::string(name);
}
std::string ChangelogKey(uint64_t seq);

}  // namespace cairn::keys
