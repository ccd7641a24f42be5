// Backup manifest (src/backup/manifest.h): any bytes decode or fail with Corruption /
// NotSupported, as an index (manifest.json) and as an entry object (manifest/<id>.json);
// a decoded one re-encodes to bytes that decode and re-encode to the same bytes;
// `cairn backup list`'s recoverable range can be computed from it, and a storage holding
// the bytes as an entry object beside an index loads or fails the same way.
#include "backup/manifest.h"
#include "backup/pitr_restore.h"
#include "common/clock.h"
#include "fuzz/fuzz_util.h"

using namespace cairn;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

namespace {

void ExpectCleanError(const Status& status, const char* what) {
  auto code = status.code();
  if (code != ErrorCode::kCorruption && code != ErrorCode::kNotSupported) {
    fuzz::Fail(std::string("unexpected error code from ") + what + ": " + status.ToString());
  }
}

// The input as manifest/<id>.json: decodes or fails cleanly; a decoded entry round-trips;
// a storage with an index and this object loads it or fails with the same error.
void FuzzEntryObject(std::string_view text) {
  constexpr uint64_t kId = 2;
  const std::string key = BackupStorage::EntryKey(kId);
  auto entry = DecodeManifestEntry(text, key, kId);
  if (entry.ok()) {
    std::string encoded = EncodeManifestEntry(*entry);
    auto again = DecodeManifestEntry(encoded, key, kId);
    if (!again.ok()) fuzz::Fail("re-encoded entry does not decode: " + again.status().ToString());
    if (EncodeManifestEntry(*again) != encoded) fuzz::Fail("entry does not round-trip");
  } else {
    ExpectCleanError(entry.status(), "DecodeManifestEntry");
  }
  auto store = fuzz::FreshStore("fuzz-manifest-entry");
  BackupStorage backups(store.get());
  if (!backups.SaveManifest(Manifest{}).ok()) fuzz::Fail("save manifest");
  if (!store->Put(key, text).ok()) fuzz::Fail("put entry");
  auto loaded = backups.LoadManifest();
  if (entry.ok() != loaded.ok()) fuzz::Fail("entry decodes but the storage does not load it");
  if (!loaded.ok()) {
    ExpectCleanError(loaded.status(), "LoadManifest");
  } else if (loaded->snapshots.size() != 1 || loaded->snapshots[0].id != kId) {
    fuzz::Fail("the loaded manifest lost the entry object");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::View(data, size);
  FuzzEntryObject(text);
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
