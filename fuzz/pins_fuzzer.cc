// Backup pin decoding (src/meta/backup_pins.h): each input line is "KEY<TAB>VALUE", a
// meta-store pin row. Decoding never crashes; a decoded pin re-encodes to a value that
// decodes to the same pin; PinSet answers Protects() for what the pins say.
#include <vector>

#include "fuzz/fuzz_util.h"
#include "meta/backup_pins.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::View(data, size);
  std::vector<BackupPin> pins;
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    size_t tab = line.find('\t');
    std::string_view key = line.substr(0, tab);
    std::string_view value = tab == std::string_view::npos ? "" : line.substr(tab + 1);
    auto pin = DecodePin(key, value);
    if (!pin.ok()) continue;
    auto again = DecodePin(PinKey(pin->backup_id), EncodePin(*pin));
    if (!again.ok() || again->backup_id != pin->backup_id || again->epoch != pin->epoch ||
        again->max_object_id != pin->max_object_id) {
      fuzz::Fail("a decoded pin does not round-trip");
    }
    pins.push_back(*pin);
  }
  PinSet set(pins);
  for (const auto& pin : pins) {
    // The pin's own cut: an object below its id bound that left at its epoch is kept.
    if (pin.max_object_id > 0 && !set.Protects(pin.max_object_id - 1, pin.epoch)) {
      fuzz::Fail("PinSet does not protect what a pin covers");
    }
    (void)set.Protects(pin.max_object_id, pin.epoch == 0 ? 0 : pin.epoch - 1);
    (void)set.Protects(0, kPinInProgress);
  }
  return 0;
}
