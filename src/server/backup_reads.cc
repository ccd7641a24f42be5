#include "server/backup_reads.h"

#include "meta/time_spec.h"

namespace cairn::server {

Result<std::optional<ServedBackup>> BackupForRead(Cluster* cluster, BackupReader* reader,
                                                  uint64_t backup_id, uint64_t as_of_epoch) {
  if (backup_id != 0 && as_of_epoch != 0) {
    return Status::InvalidArgument("a read names either a backup or an as-of time, not both");
  }
  if (backup_id != 0) {
    if (reader == nullptr) {
      return Status::Busy("this server has no backup storage (start it with --backup-storage URL)");
    }
    CAIRN_ASSIGN_OR_RETURN(ServedBackup served, reader->ById(backup_id));
    return std::optional<ServedBackup>(std::move(served));
  }
  if (as_of_epoch == 0 || reader == nullptr) return std::optional<ServedBackup>();
  uint64_t oldest = cluster->oldest_as_of_epoch();
  if (as_of_epoch >= oldest) return std::optional<ServedBackup>();
  CAIRN_ASSIGN_OR_RETURN(ServedBackup served, reader->AtEpoch(as_of_epoch, oldest));
  return std::optional<ServedBackup>(std::move(served));
}

Result<uint32_t> BackupTableId(const ServedBackup& served, const std::string& name) {
  auto table = served.view->FindTable(name);
  if (table.ok()) return table->id;
  if (!table.status().IsNotFound()) return table.status();
  return Status::NotFound("table '" + name + "' did not exist at the cut of backup " +
                          std::to_string(served.entry.id) + " (" +
                          FormatRfc3339Millis(served.entry.created_ms) + ")");
}

void SetBackupSource(const ServedBackup& served, rpc::BackupSource* out) {
  out->set_backup_id(served.entry.id);
  out->set_created_ms(served.entry.created_ms);
  out->set_cut_epoch(served.view->read_epoch());
  out->set_timeline(served.entry.timeline);
}

}  // namespace cairn::server
