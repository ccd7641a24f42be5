#include "storage/catalog.h"

#include <algorithm>

namespace cairn {

void Catalog::Clear() {
  tables_.clear();
  version = 0;
  version_revision = 0;
}

void Catalog::Upsert(const TableInfo& table) { tables_[table.id] = table; }

const TableInfo* Catalog::FindLive(std::string_view name) const {
  for (const auto& [id, t] : tables_) {
    if (t.dropped_epoch == 0 && t.name == name) return &t;
  }
  return nullptr;
}

const TableInfo* Catalog::FindById(uint32_t id) const {
  auto it = tables_.find(id);
  return it == tables_.end() ? nullptr : &it->second;
}

const TableInfo* Catalog::FindAt(std::string_view name, uint64_t epoch) const {
  for (const auto& [id, t] : tables_) {
    if (t.name == name && ExistsAt(t, epoch)) return &t;
  }
  return nullptr;
}

std::vector<TableInfo> Catalog::Live() const {
  std::vector<TableInfo> out;
  for (const auto& [id, t] : tables_) {
    if (t.dropped_epoch == 0) out.push_back(t);
  }
  return out;
}

std::vector<TableInfo> Catalog::ExistingAt(uint64_t epoch) const {
  std::vector<TableInfo> out;
  for (const auto& [id, t] : tables_) {
    if (ExistsAt(t, epoch)) out.push_back(t);
  }
  return out;
}

bool Catalog::Readable(uint32_t id, std::optional<uint64_t> as_of) const {
  const TableInfo* t = FindById(id);
  if (!t) return false;
  return as_of ? ExistsAt(*t, *as_of) : t->dropped_epoch == 0;
}

bool Catalog::DroppedBy(uint32_t id, uint64_t epoch) const {
  const TableInfo* t = FindById(id);
  return t && t->dropped_epoch != 0 && t->dropped_epoch <= epoch;
}

uint64_t Catalog::MaxEpoch() const {
  uint64_t max = 0;
  for (const auto& [id, t] : tables_) max = std::max({max, t.created_epoch, t.dropped_epoch});
  return max;
}

bool Catalog::ExistsAt(const TableInfo& t, uint64_t epoch) {
  return t.created_epoch <= epoch && (t.dropped_epoch == 0 || epoch < t.dropped_epoch);
}

}  // namespace cairn
