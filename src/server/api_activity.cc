#include "server/api_activity.h"

namespace cairn::server {

void ApiActivity::RecordVerify(uint64_t backup_id, VerifyState state) {
  std::lock_guard<std::mutex> lock(mu_);
  verifies_[backup_id] = std::move(state);
}

void ApiActivity::ForgetBackup(uint64_t backup_id) {
  std::lock_guard<std::mutex> lock(mu_);
  verifies_.erase(backup_id);
}

std::optional<VerifyState> ApiActivity::LastVerify(uint64_t backup_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = verifies_.find(backup_id);
  if (it == verifies_.end()) return std::nullopt;
  return it->second;
}

void ApiActivity::RecordVacuum(VacuumRun run) {
  std::lock_guard<std::mutex> lock(mu_);
  vacuum_ = std::move(run);
}

std::optional<VacuumRun> ApiActivity::LastVacuum() {
  std::lock_guard<std::mutex> lock(mu_);
  return vacuum_;
}

}  // namespace cairn::server
