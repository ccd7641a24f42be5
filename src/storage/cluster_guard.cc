#include "storage/cluster_guard.h"

#include <algorithm>
#include <set>

#include "common/logging.h"
#include "meta/cluster_id.h"
#include "meta/deleted_ids.h"
#include "meta/keys.h"
#include "meta/restore_marker.h"
#include "storage/storage_codec.h"

namespace cairn {
namespace {

Result<uint64_t> ReadNextObjectId(MetaStore* meta) {
  std::string key = keys::IdKey("object");
  CAIRN_ASSIGN_OR_RETURN(auto kv, meta->Get(key));
  if (!kv) return uint64_t{0};
  return DecodeDecimal(key, kv->value);
}

// The object ids of every storage/sst/<id> key.
Result<std::set<uint64_t>> ReadVersionSsts(MetaStore* meta) {
  std::set<uint64_t> ids;
  std::string begin(keys::kStorageSstPrefix), end = PrefixEnd(keys::kStorageSstPrefix);
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(auto page, meta->Range(begin, end, 4096));
    for (const auto& kv : page) {
      CAIRN_ASSIGN_OR_RETURN(SstMeta sst, DecodeSstMeta(kv.value));
      ids.insert(sst.object_id);
    }
    if (page.size() < 4096) return ids;
    begin = page.back().key + '\0';
  }
}

Status SurveyObjects(ObjectStore* objects, const std::set<uint64_t>& version, StoreSurvey* survey) {
  uint64_t present = 0;
  CAIRN_RETURN_IF_ERROR(ListAll(*objects, kSstObjectPrefix, [&](const ObjectMeta& m) {
    uint64_t id = 0;
    if (!ParseSstObjectKey(m.key, &id)) return Status::OK();
    survey->listed_ssts++;
    survey->max_listed_id = std::max(survey->max_listed_id, id);
    present += version.count(id);
    return Status::OK();
  }));
  survey->version_ssts = version.size();
  survey->version_missing = version.size() - present;
  return Status::OK();
}

std::string RestoreHint(MetaStore* meta, ObjectStore* objects, const std::string& backups) {
  return "restore it with 'cairn restore --backup-storage " +
         (backups.empty() ? std::string("URL") : backups) + " --meta-store " +
         meta->DescribeForLog() + " --object-store " + objects->DescribeForLog() +
         " --to-time latest'";
}

Status Refuse(const StoreSurvey& s, MetaStore* meta, ObjectStore* objects,
              const std::string& backups) {
  const std::string hint = RestoreHint(meta, objects, backups);
  if (s.identity && !s.meta_cluster_id) {
    return Status::FailedPrecondition(DescribeOwner(objects, *s.identity) + "; its meta store " +
                                      "is missing or different (" + meta->DescribeForLog() +
                                      " is empty) — " + hint +
                                      " (or start a new cluster on an empty object store)");
  }
  if (s.identity && *s.meta_cluster_id != s.identity->cluster_id) {
    return Status::FailedPrecondition(DescribeOwner(objects, *s.identity) + ", but meta store " +
                                      meta->DescribeForLog() + " holds cluster " +
                                      *s.meta_cluster_id +
                                      " — one of the two URLs is wrong; give each cluster its "
                                      "own object store");
  }
  if (!s.meta_cluster_id && s.listed_ssts > 0) {
    return Status::FailedPrecondition(
        "object store " + objects->DescribeForLog() + " holds " + std::to_string(s.listed_ssts) +
        " SSTs of a cluster whose meta store is missing or different (" + meta->DescribeForLog() +
        " is empty) — " + hint + " (or start a new cluster on an empty object store)");
  }
  if (s.meta_cluster_id && s.max_listed_id > 0 && s.max_listed_id >= s.next_object_id) {
    return Status::FailedPrecondition(
        "object store " + objects->DescribeForLog() + " holds " + SstObjectKey(s.max_listed_id) +
        ", which meta store " + meta->DescribeForLog() + " never issued (its object ids end " +
        "below " + std::to_string(s.next_object_id) +
        "): the meta store is older than the object store (an old copy?) — " + hint);
  }
  if (s.meta_cluster_id && s.max_deleted_id > 0 && s.max_deleted_id >= s.next_object_id) {
    return Status::FailedPrecondition(
        "vacuum deleted " + SstObjectKey(s.max_deleted_id) + " from object store " +
        objects->DescribeForLog() + ", which meta store " + meta->DescribeForLog() +
        " never issued (its object ids end below " + std::to_string(s.next_object_id) +
        "): the meta store is older than the object store (an old copy?) — " + hint);
  }
  if (s.meta_cluster_id && s.version_ssts > 0 && s.version_missing == s.version_ssts) {
    return Status::FailedPrecondition("object store " + objects->DescribeForLog() +
                                      " holds none of the " + std::to_string(s.version_ssts) +
                                      " SSTs that meta store " + meta->DescribeForLog() +
                                      " references — is --object-store the right URL?");
  }
  return Status::OK();
}

}  // namespace

Result<StoreSurvey> CheckClusterStores(MetaStore* meta, ObjectStore* objects,
                                       const std::string& backup_storage) {
  CAIRN_RETURN_IF_ERROR(CheckNoUnfinishedRestore(meta));
  StoreSurvey survey;
  CAIRN_ASSIGN_OR_RETURN(auto id, meta->Get(keys::kClusterId));
  if (id) survey.meta_cluster_id = id->value;
  CAIRN_ASSIGN_OR_RETURN(survey.identity, ReadClusterIdentity(objects));
  CAIRN_ASSIGN_OR_RETURN(survey.next_object_id, ReadNextObjectId(meta));
  CAIRN_ASSIGN_OR_RETURN(std::set<uint64_t> version, ReadVersionSsts(meta));
  CAIRN_RETURN_IF_ERROR(SurveyObjects(objects, version, &survey));
  CAIRN_ASSIGN_OR_RETURN(survey.max_deleted_id, ReadMaxDeletedObjectId(objects));
  CAIRN_RETURN_IF_ERROR(Refuse(survey, meta, objects, backup_storage));
  return survey;
}

Result<std::string> EstablishClusterIdentity(MetaWriter* writer, ObjectStore* objects,
                                             const StoreSurvey& survey, Random* random) {
  CAIRN_ASSIGN_OR_RETURN(std::string cluster_id, EnsureClusterId(writer, random));
  if (survey.identity) return cluster_id;
  ClusterIdentity identity;
  identity.cluster_id = cluster_id;
  identity.created_ms = writer->clock()->NowMillis();
  identity.meta_store = writer->store()->DescribeForLog();
  identity.created_by = survey.meta_cluster_id ? "server (adopted a pre-identity object store)"
                                               : "server (new cluster)";
  CAIRN_RETURN_IF_ERROR(WriteClusterIdentity(objects, identity));
  if (survey.meta_cluster_id) {
    CAIRN_LOG_WARN("object store {} had no cluster identity: adopted it for cluster {} ({} SSTs)",
                   objects->DescribeForLog(), cluster_id, survey.listed_ssts);
  }
  return cluster_id;
}

}  // namespace cairn
