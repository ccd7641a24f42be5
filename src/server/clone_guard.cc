#include "server/clone_guard.h"

#include "backup/clone_registry.h"
#include "common/logging.h"
#include "meta/keys.h"
#include "object_store/object_store.h"

namespace cairn::server {
namespace {

Result<std::vector<CloneRegistration>> RegistrationsIn(const std::string& url) {
  if (ObjectStoreRootMissing(url)) return std::vector<CloneRegistration>();
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenObjectStore(url));
  return ListCloneRegistrations(store.get());
}

}  // namespace

Status CheckBackupStorageKeepsClones(MetaStore* meta, const std::string& backup_storage) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, meta->Get(keys::ParamKey("backup_storage_url")));
  if (!kv || kv->value.empty() || kv->value == backup_storage) return Status::OK();
  const std::string& previous = kv->value;
  auto clones = RegistrationsIn(previous);
  if (!clones.ok()) {
    CAIRN_LOG_WARN(
        "cannot check the backup storage used until now ({}) for clone registrations: {}", previous,
        clones.status().ToString());
    return Status::OK();
  }
  if (clones->empty()) return Status::OK();
  return Status::FailedPrecondition(
      std::to_string(clones->size()) + " live clone(s) (" + clones->front().clone_id +
      (clones->size() > 1 ? ", ..." : "") + ") are registered in " + previous +
      ", the backup storage this cluster used until now, and its vacuum keeps their SSTs only "
      "while it reads them there: start with --backup-storage " +
      previous + ", or first detach or drop the clones (cairn clone detach, cairn clone drop)");
}

}  // namespace cairn::server
