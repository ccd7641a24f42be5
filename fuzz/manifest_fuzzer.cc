// Backup manifest (src/backup/manifest.h): any bytes decode or fail with Corruption /
// NotSupported; a decoded manifest re-encodes to bytes that decode and re-encode to the
// same bytes; `cairn backup list`'s recoverable range can be computed from it.
#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "common/clock.h"
#include "fuzz/fuzz_util.h"

using namespace cairn;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::View(data, size);
  auto manifest = DecodeManifest(text);
  if (!manifest.ok()) {
    auto code = manifest.status().code();
    if (code != ErrorCode::kCorruption && code != ErrorCode::kNotSupported) {
      fuzz::Fail("unexpected error code: " + manifest.status().ToString());
    }
    return 0;
  }
  std::string encoded = EncodeManifest(*manifest);
  auto again = DecodeManifest(encoded);
  if (!again.ok()) fuzz::Fail("re-encoded manifest does not decode: " + again.status().ToString());
  if (EncodeManifest(*again) != encoded) fuzz::Fail("manifest does not round-trip");
  for (const auto& s : manifest->snapshots) (void)manifest->Find(s.id);

  // `cairn backup list` over a backup storage holding this manifest (no segments).
  auto store = fuzz::FreshStore("fuzz-manifest");
  if (!store->Put(BackupStorage::kManifestKey, text).ok()) fuzz::Fail("put");
  BackupStorage backups(store.get());
  ManualClock clock;
  auto range = ComputeRecoverableRange(&backups, 1000, &clock);
  if (range.ok()) (void)range->ToString();
  return 0;
}
