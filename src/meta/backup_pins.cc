#include "meta/backup_pins.h"

#include <algorithm>
#include <cstdio>

#include "meta/keys.h"

namespace cairn {
std::string PinKey(uint64_t backup_id) {
  return std::string(keys::kBackupPinPrefix) + keys::Hex16(backup_id);
}

std::string EncodePin(const BackupPin& pin) {
  std::string out = std::to_string(pin.epoch) + " " + std::to_string(pin.max_object_id);
  if (!pin.storage_id.empty()) out += " " + pin.storage_id + " " + std::to_string(pin.created_ms);
  return out;
}

Result<BackupPin> DecodePin(std::string_view key, std::string_view value) {
  BackupPin pin;
  unsigned long long epoch = 0, max_id = 0, id = 0;
  long long created = 0;
  char storage[65] = {};
  std::string k(key.substr(std::min(key.size(), keys::kBackupPinPrefix.size()))), v(value);
  int fields = std::sscanf(v.c_str(), "%llu %llu %64s %lld", &epoch, &max_id, storage, &created);
  if (key.substr(0, keys::kBackupPinPrefix.size()) != keys::kBackupPinPrefix ||
      std::sscanf(k.c_str(), "%16llx", &id) != 1 || (fields != 2 && fields != 4)) {
    return Status::Corruption("malformed backup pin " + std::string(key) + " = '" + v + "'");
  }
  pin.backup_id = id;
  pin.epoch = epoch;
  pin.max_object_id = max_id;
  if (fields == 4) {
    pin.storage_id = storage;
    pin.created_ms = created;
  }
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

std::string EncodeTimelinePin(const TimelinePin& pin) {
  return std::to_string(pin.first_object_id) + " " + std::to_string(pin.created_ms);
}

Result<std::optional<TimelinePin>> LoadTimelinePin(MetaStore* store) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, store->Get(keys::kTimelinePin));
  if (!kv) return std::optional<TimelinePin>();
  unsigned long long first = 0;
  long long created = 0;
  if (std::sscanf(kv->value.c_str(), "%llu %lld", &first, &created) != 2) {
    return Status::Corruption("malformed timeline pin " + std::string(keys::kTimelinePin) + " = '" +
                              kv->value + "'");
  }
  return std::optional<TimelinePin>(TimelinePin{first, created});
}

}  // namespace cairn
