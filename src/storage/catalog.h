// Catalog: the in-memory image of the tables under catalog/ in the meta store, and
// the visibility rules of a table at a read epoch. Not thread-safe (the cluster holds
// its mutex).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/cluster.h"

namespace cairn {

class Catalog {
 public:
  void Clear();
  void Upsert(const TableInfo& table);

  // The live table with this name.
  const TableInfo* FindLive(std::string_view name) const;
  const TableInfo* FindById(uint32_t id) const;
  // The table with this name that existed at `epoch`.
  const TableInfo* FindAt(std::string_view name, uint64_t epoch) const;

  std::vector<TableInfo> Live() const;
  std::vector<TableInfo> ExistingAt(uint64_t epoch) const;

  // Whether table `id` can be read: live for latest reads; for an as-of read,
  // created at or before the epoch and not yet dropped.
  bool Readable(uint32_t id, std::optional<uint64_t> as_of) const;
  // True when the table was dropped at or before `epoch` (its data is garbage then).
  bool DroppedBy(uint32_t id, uint64_t epoch) const;
  uint64_t MaxEpoch() const;

  uint64_t version = 0;          // catalog/version
  int64_t version_revision = 0;  // its mod_revision (0 = absent)

 private:
  static bool ExistsAt(const TableInfo& t, uint64_t epoch);
  std::map<uint32_t, TableInfo> tables_;
};

}  // namespace cairn
