// The oracle's check of reads served from backups (docs/pitr.md, "Reads served from
// backups"): a listed backup's version, decoded from its snapshot file and read in place
// from the object store at its cut, holds exactly the model's tables at the cut.
#include "backup/backup_version.h"
#include "sim/oracle_view.h"
#include "sim/simulation.h"
#include "storage/frozen_version.h"

namespace cairn::sim {
namespace {

// The tables of the backup's cut with their rows; users and params are not part of a
// backup read, so they are taken from `model`.
Result<ClientState> DumpBackup(FrozenVersion* view, const ClientState& model) {
  ClientState state;
  state.users = model.users;
  state.params = model.params;
  for (const TableInfo& t : view->Tables()) {
    auto rows = std::make_shared<Rows>();
    CAIRN_ASSIGN_OR_RETURN(auto it, view->Scan(t.id, "", ""));
    for (; it->Valid(); it->Next()) (*rows)[std::string(it->key())] = std::string(it->value());
    CAIRN_RETURN_IF_ERROR(it->status().WithContext("scan of table " + t.name));
    state.tables[t.name] = TableState{t.id, std::move(rows)};
  }
  return state;
}

}  // namespace

void Simulation::CheckBackupRead(const ListedBackup& backup, const std::string& when) {
  OracleObjectView data(stores_->data_base());
  OracleObjectView backups(stores_->backup_base());
  BackupStorage storage(&backups);
  std::string what = when + ": backup " + std::to_string(backup.id);
  auto manifest = storage.LoadManifest();
  const SnapshotEntry* entry = manifest.ok() ? manifest->Find(backup.id) : nullptr;
  if (entry == nullptr) return;  // CheckBackup reports a listed backup that is not
  auto decoded = ReadBackupVersion(&backups, *entry);
  if (!decoded.ok()) {
    Violation("every listed backup can be read in place",
              what + ": " + decoded.status().ToString());
    return;
  }
  auto view =
      FrozenVersion::Make(&data, nullptr, decoded->version, decoded->catalog, decoded->cut_epoch);
  auto dump = DumpBackup(view.get(), *backup.state);
  if (!dump.ok()) {
    Violation("every listed backup can be read in place", what + ": " + dump.status().ToString());
  } else if (!SameState(*dump, *backup.state)) {
    Violation("a read served from a backup equals the model at its cut",
              what + ":\n" + DiffStates(*backup.state, *dump));
  } else {
    coverage_.Add("check.backup_read");
  }
}

}  // namespace cairn::sim
