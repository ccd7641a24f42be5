#include "storage/deletion_gate.h"

#include "common/epoch.h"

namespace cairn {

Status DeletionGate::Refresh() {
  now_ms_ = options_.clock->NowMillis();
  CAIRN_ASSIGN_OR_RETURN(pins_, PinSet::Load(meta_));
  if (options_.external_pins) {
    auto external = options_.external_pins();
    if (!external.ok()) return external.status().WithContext("loading clone registrations");
    std::vector<BackupPin> all = pins_.pins();
    all.insert(all.end(), external->begin(), external->end());
    pins_ = PinSet(std::move(all));
  }
  CAIRN_ASSIGN_OR_RETURN(timeline_pin_, LoadTimelinePin(meta_));
  return Status::OK();
}

bool DeletionGate::MayDelete(const DeletionCandidate& c, std::string* reason) const {
  if (pins_.Protects(c.object_id, c.stale_epoch.value_or(kPinInProgress))) {
    *reason = c.key + " is pinned by a backup";
    return false;
  }
  if (timeline_pin_ && c.object_id < timeline_pin_->first_object_id &&
      now_ms_ < SaturatingAddMillis(timeline_pin_->created_ms, options_.pitr_retention_ms)) {
    *reason = c.key + " belongs to an older timeline inside its PITR window";
    return false;
  }
  if (c.stale_epoch &&
      EpochToMillis(*c.stale_epoch) >= SaturatingSubMillis(now_ms_, options_.pitr_retention_ms)) {
    *reason = c.key + " left the version inside the PITR retention window";
    return false;
  }
  if (SaturatingSubMillis(now_ms_, c.mtime_ms) < options_.vacuum_min_age_ms) {
    *reason = c.key + " is younger than vacuum_min_age";
    return false;
  }
  return true;
}

}  // namespace cairn
