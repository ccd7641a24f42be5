// DDL: tables live under catalog/ in the meta store; every DDL bumps catalog/version
// in the same commit. Dropped tables keep their record, stamped with the drop epoch.
// A DDL runs at its own epoch (docs/storage.md, "Epochs").
#include <algorithm>

#include "meta/keys.h"
#include "storage/cluster_impl.h"

namespace cairn {
namespace {

constexpr size_t kMaxTableNameSize = 255;

Status ValidateTableName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("empty table name");
  if (name.size() > kMaxTableNameSize) {
    return Status::InvalidArgument("table name longer than " + std::to_string(kMaxTableNameSize) +
                                   " bytes");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("table name contains a control character");
    }
  }
  return Status::OK();
}

}  // namespace

Result<TableInfo> ClusterImpl::CreateTable(std::string_view name) {
  CAIRN_RETURN_IF_ERROR(ValidateTableName(name));
  std::lock_guard ddl(ddl_mu_);
  {
    std::lock_guard lock(mu_);
    if (catalog_.FindLive(name)) {
      return Status::AlreadyExists("table '" + std::string(name) + "' already exists");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, meta_->AllocateIds("table"));
  if (id > UINT32_MAX - 1) return Status::InvalidArgument("table ids exhausted");
  TableInfo table;
  table.id = static_cast<uint32_t>(id);
  table.name = std::string(name);
  Txn txn;
  txn.compares.push_back(Compare::Absent(keys::TableNameKey(name)));
  txn.ops.push_back(Op::Put(keys::TableNameKey(name), std::to_string(table.id)));
  CAIRN_RETURN_IF_ERROR(CommitDdl(std::move(txn), &table, /*drop=*/false));
  return table;
}

Status ClusterImpl::DropTable(std::string_view name) {
  std::lock_guard ddl(ddl_mu_);
  TableInfo table;
  {
    std::lock_guard lock(mu_);
    const TableInfo* live = catalog_.FindLive(name);
    if (!live) return Status::NotFound("table '" + std::string(name) + "'");
    table = *live;
  }
  Txn txn;
  txn.ops.push_back(Op::Delete(keys::TableNameKey(name)));
  return CommitDdl(std::move(txn), &table, /*drop=*/true);
}

Status ClusterImpl::CommitDdl(Txn txn, TableInfo* table, bool drop) {
  // No checkpoint may commit between ours and the DDL's: its epoch is newer.
  std::lock_guard checkpoint(checkpoint_mu_);
  uint64_t epoch = 0;
  {
    std::lock_guard lock(mu_);
    // Every sealed memtable is older than the DDL's epoch, every later write newer.
    SealLocked();
    epoch = meta_->epochs().Reserve();
    if (drop) dropping_.insert(table->id);
  }
  Status s = CheckpointSealed();
  if (s.ok()) s = CommitCatalog(std::move(txn), epoch, table, drop);
  meta_->epochs().Release(epoch);
  std::lock_guard lock(mu_);
  dropping_.erase(table->id);
  return s;
}

// Adds the table record (stamped with the commit's epoch) and the catalog version bump
// to `txn` and commits it.
Status ClusterImpl::CommitCatalog(Txn txn, uint64_t epoch, TableInfo* table, bool drop) {
  uint64_t version = 0;
  int64_t revision = 0;
  {
    std::lock_guard lock(mu_);
    version = catalog_.version + 1;
    revision = catalog_.version_revision;
  }
  txn.compares.push_back(Compare::RevisionEquals(std::string(keys::kCatalogVersion), revision));
  txn.ops.push_back(Op::Put(std::string(keys::kCatalogVersion), std::to_string(version)));
  auto add_record = [table, drop](uint64_t e, Txn* t) {
    (drop ? table->dropped_epoch : table->created_epoch) = e;
    t->ops.push_back(Op::Put(keys::TableKey(table->id), EncodeTableRecord(*table)));
  };
  auto committed = meta_->Commit(std::move(txn), epoch, add_record);
  if (!committed.ok()) {
    // A lost ack leaves the meta store ahead of memory: reload the catalog from it. The
    // record tells: a create applied when its table exists, a drop when the stored record
    // carries a dropped epoch (a commit refused before it reached the store, e.g. by the
    // lease fence, never stamps one).
    Status reload = ReloadCatalog();
    if (!reload.ok()) return committed.status();
    std::lock_guard lock(mu_);
    const TableInfo* now = catalog_.FindById(table->id);
    bool applied = now && (!drop || now->dropped_epoch != 0);
    return applied ? Status::OK() : committed.status();
  }
  std::lock_guard lock(mu_);
  catalog_.Upsert(*table);
  catalog_.version = version;
  catalog_.version_revision = committed->revision;
  // Every write before the DDL is committed and every later one is newer: the state
  // at the DDL's epoch is complete.
  committed_epoch_ = std::max(committed_epoch_, committed->epoch);
  return Status::OK();
}

Status ClusterImpl::ReloadCatalog() {
  CAIRN_ASSIGN_OR_RETURN(Catalog catalog, LoadCatalog(meta_->store()));
  std::lock_guard lock(mu_);
  catalog_ = std::move(catalog);
  committed_epoch_ = std::max(committed_epoch_, catalog_.MaxEpoch());
  return Status::OK();
}

}  // namespace cairn
