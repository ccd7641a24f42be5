#include "meta/backup_pins.h"

#include <algorithm>
#include <cstdio>

#include "meta/keys.h"

namespace cairn {
std::string PinKey(uint64_t backup_id) {
  return std::string(keys::kBackupPinPrefix) + keys::Hex16(backup_id);
}

std::string EncodePin(const BackupPin& pin) {
  return std::to_string(pin.epoch) + " " + std::to_string(pin.max_object_id);
}

Result<BackupPin> DecodePin(std::string_view key, std::string_view value) {
  BackupPin pin;
  unsigned long long epoch = 0, max_id = 0, id = 0;
  std::string k(key.substr(std::min(key.size(), keys::kBackupPinPrefix.size()))), v(value);
  if (key.substr(0, keys::kBackupPinPrefix.size()) != keys::kBackupPinPrefix ||
      std::sscanf(k.c_str(), "%16llx", &id) != 1 ||
      std::sscanf(v.c_str(), "%llu %llu", &epoch, &max_id) != 2) {
    return Status::Corruption("malformed backup pin " + std::string(key) + " = '" + v + "'");
  }
  pin.backup_id = id;
  pin.epoch = epoch;
  pin.max_object_id = max_id;
  return pin;
}

PinSet::PinSet(std::vector<BackupPin> pins) : by_epoch_(std::move(pins)) {
  std::sort(by_epoch_.begin(), by_epoch_.end(),
            [](const BackupPin& a, const BackupPin& b) { return a.epoch < b.epoch; });
  uint64_t running = 0;
  for (const auto& pin : by_epoch_) {
    running = std::max(running, pin.max_object_id);
    prefix_max_ids_.push_back(running);
  }
}

Result<PinSet> PinSet::Load(MetaStore* store) {
  std::vector<BackupPin> pins;
  std::string begin(keys::kBackupPinPrefix), end = PrefixEnd(keys::kBackupPinPrefix);
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(auto page, store->Range(begin, end, 1000));
    for (const auto& kv : page) {
      CAIRN_ASSIGN_OR_RETURN(BackupPin pin, DecodePin(kv.key, kv.value));
      pins.push_back(pin);
    }
    if (page.size() < 1000) break;
    begin = page.back().key + '\0';
  }
  return PinSet(std::move(pins));
}

bool PinSet::Protects(uint64_t object_id, uint64_t stale_epoch) const {
  // Pins whose cut is at or before the object's departure could have seen it.
  auto end = std::upper_bound(by_epoch_.begin(), by_epoch_.end(), stale_epoch,
                              [](uint64_t e, const BackupPin& pin) { return e < pin.epoch; });
  if (end == by_epoch_.begin()) return false;
  return object_id < prefix_max_ids_[end - by_epoch_.begin() - 1];
}

}  // namespace cairn
