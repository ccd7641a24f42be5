// ApiActivity: what the console's actions found, kept in memory (lost at restart) so
// that the console can show it: the last verify of each backup and the last vacuum.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "storage/cluster.h"

namespace cairn::server {

struct VerifyState {
  bool ok = false;
  bool deep = false;
  int64_t at_ms = 0;
  std::string error;  // when !ok: the verify's error message
};

struct VacuumRun {
  int64_t at_ms = 0;
  bool ok = false;
  bool full = false;
  bool dry_run = false;
  VacuumReport report;
  std::string error;
};

class ApiActivity {
 public:
  void RecordVerify(uint64_t backup_id, VerifyState state);
  void ForgetBackup(uint64_t backup_id);  // a deleted backup
  std::optional<VerifyState> LastVerify(uint64_t backup_id);
  void RecordVacuum(VacuumRun run);
  std::optional<VacuumRun> LastVacuum();

 private:
  std::mutex mu_;
  std::map<uint64_t, VerifyState> verifies_;
  std::optional<VacuumRun> vacuum_;
};

}  // namespace cairn::server
