#include "backup/schedule_store.h"

#include "meta/keys.h"

namespace cairn {

Result<std::optional<BackupSchedule>> LoadBackupSchedule(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, store->Get(keys::kBackupSchedule));
  if (!kv) return std::optional<BackupSchedule>();
  CAIRN_ASSIGN_OR_RETURN(BackupSchedule schedule, DecodeSchedule(kv->value));
  return std::optional<BackupSchedule>(schedule);
}

Status SaveBackupSchedule(MetaWriter* writer, const BackupSchedule& schedule) {
  CAIRN_RETURN_IF_ERROR(ValidateSchedule(schedule));
  Txn txn;
  txn.ops.push_back(Op::Put(std::string(keys::kBackupSchedule), EncodeSchedule(schedule)));
  return writer->Commit(std::move(txn)).status();
}

Status ClearBackupSchedule(MetaWriter* writer) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, writer->store()->Get(keys::kBackupSchedule));
  if (!kv) return Status::NotFound("no backup schedule is set");
  Txn txn;
  txn.ops.push_back(Op::Delete(std::string(keys::kBackupSchedule)));
  return writer->Commit(std::move(txn)).status();
}

}  // namespace cairn
