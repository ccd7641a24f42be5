#include "sim/coverage.h"

#include <cstdio>

namespace cairn::sim {

uint64_t Coverage::Get(const std::string& name) const {
  auto it = counts_.find(name);
  return it == counts_.end() ? 0 : it->second;
}

void Coverage::Merge(const Coverage& other) {
  for (const auto& [name, n] : other.counts_) counts_[name] += n;
}

std::string Coverage::Format(const std::map<std::string, uint64_t>* seeds) const {
  std::string out;
  for (const auto& [name, n] : counts_) {
    char line[160];
    if (seeds) {
      auto it = seeds->find(name);
      std::snprintf(line, sizeof(line), "  %-40s %10llu  (%llu seeds)\n", name.c_str(),
                    static_cast<unsigned long long>(n),
                    static_cast<unsigned long long>(it == seeds->end() ? 0 : it->second));
    } else {
      std::snprintf(line, sizeof(line), "  %-40s %10llu\n", name.c_str(),
                    static_cast<unsigned long long>(n));
    }
    out += line;
  }
  return out;
}

const std::vector<std::string>& RequiredCoverage() {
  static const std::vector<std::string> kinds = {
      "fault.backup.delete",
      "fault.backup.get",
      "fault.backup.list",
      "fault.backup.put_ack_lost",
      "fault.backup.put_before_apply",
      "fault.crash_point",
      "fault.data.delete",
      "fault.data.get",
      "fault.data.list",
      "fault.data.put_ack_lost",
      "fault.data.put_before_apply",
      "fault.meta.commit_ack_lost",
      "fault.meta.commit_before_apply",
      "fault.meta.compacted",
      "fault.meta.read",
      "op.crash_restart",
      "op.clean_restart",
      "op.delete_manifest",
      "op.lose_meta_store",
      "op.overwrite_restore_crashed",
      "op.pause_resume",
      "op.pause_takeover",
      "op.pause_restore_under_zombie",
      "op.restore_backup",
      "op.restore_pitr",
  };
  return kinds;
}

}  // namespace cairn::sim
