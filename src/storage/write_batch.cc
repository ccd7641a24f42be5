#include "storage/cluster.h"

namespace cairn {

void WriteBatch::Put(uint32_t table_id, std::string_view key, std::string_view value) {
  entries_.push_back(Entry{table_id, std::string(key), std::string(value), false});
}

void WriteBatch::Delete(uint32_t table_id, std::string_view key) {
  entries_.push_back(Entry{table_id, std::string(key), std::string(), true});
}

}  // namespace cairn
