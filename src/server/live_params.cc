#include "server/live_params.h"

namespace cairn::server {

Status LiveParams::Load() {
  LiveValues v;
  CAIRN_ASSIGN_OR_RETURN(v.checkpoint_interval_ms, params_->GetDurationMs("checkpoint_interval"));
  CAIRN_ASSIGN_OR_RETURN(v.pitr_retention_ms, params_->GetDurationMs("pitr_retention"));
  CAIRN_ASSIGN_OR_RETURN(v.vacuum_min_age_ms, params_->GetDurationMs("vacuum_min_age"));
  CAIRN_ASSIGN_OR_RETURN(v.vacuum_interval_ms, params_->GetDurationMs("vacuum_interval"));
  checkpoint_interval_ms_ = v.checkpoint_interval_ms;
  pitr_retention_ms_ = v.pitr_retention_ms;
  vacuum_min_age_ms_ = v.vacuum_min_age_ms;
  vacuum_interval_ms_ = v.vacuum_interval_ms;
  return Status::OK();
}

Status LiveParams::Reload() {
  std::lock_guard lock(reload_mu_);
  CAIRN_RETURN_IF_ERROR(Load());
  LiveValues v = values();
  for (const auto& listener : listeners_) listener(v);
  return Status::OK();
}

void LiveParams::OnChange(std::function<void(const LiveValues&)> listener) {
  listeners_.push_back(std::move(listener));
}

LiveValues LiveParams::values() const {
  return {checkpoint_interval_ms_.load(), pitr_retention_ms_.load(), vacuum_min_age_ms_.load(),
          vacuum_interval_ms_.load()};
}

}  // namespace cairn::server
