// Writer lease object (src/meta/writer_lease.h) read from mem://: any bytes read as a
// lease or fail with Corruption; the checks a starting server, a restore and a renewal
// make on it (CheckLeaseFree, Acquire with dead-PID takeover, FenceWriterLease) never
// crash, and fencing always moves the generation forward.
#include "common/clock.h"
#include "fuzz/fuzz_util.h"
#include "meta/writer_lease.h"

using namespace cairn;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto store = fuzz::FreshStore("fuzz-lease");
  if (!store->Put(kWriterLeaseKey, fuzz::View(data, size)).ok()) fuzz::Fail("put");
  auto lease = ReadWriterLease(store.get());
  if (!lease.ok()) {
    if (lease.status().code() != ErrorCode::kCorruption) {
      fuzz::Fail("unexpected error code: " + lease.status().ToString());
    }
    return 0;
  }
  if (!*lease) fuzz::Fail("a stored lease read as absent");
  ManualClock clock;
  (void)CheckLeaseFree(store.get(), &clock, "fuzzhost:1:1");
  {
    WriterLeaseOptions options;
    options.hostname = "fuzzhost";
    options.pid_alive = [](int pid) { return pid % 2 == 0; };  // no real kill(2)
    WriterLease writer(store.get(), &clock, "fuzzhost:1:1", 30'000, options);
    if (writer.Acquire().ok()) {
      if (!writer.RenewOnce().ok()) fuzz::Fail("renewal right after Acquire failed");
      (void)writer.Check();
    }
  }
  // Restore fences whatever is there.
  if (!store->Put(kWriterLeaseKey, fuzz::View(data, size)).ok()) fuzz::Fail("put");
  uint64_t before = (*lease)->generation;
  if (!FenceWriterLease(store.get(), "fuzz").ok()) fuzz::Fail("fencing a readable lease failed");
  auto fenced = ReadWriterLease(store.get());
  if (!fenced.ok() || !*fenced || !(*fenced)->holder.empty()) fuzz::Fail("fenced lease unreadable");
  if (before != UINT64_MAX && (*fenced)->generation <= before) {
    fuzz::Fail("fencing did not move the generation forward");
  }
  return 0;
}
