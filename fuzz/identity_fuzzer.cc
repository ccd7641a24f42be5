// Cluster identity object (src/meta/cluster_identity.h): any bytes decode or fail with
// Corruption/NotSupported; a decoded identity encodes to bytes that decode to it again,
// and the text that names the owner in errors (DescribeOwner) can be built from it.
#include "fuzz/fuzz_util.h"
#include "meta/cluster_identity.h"

using namespace cairn;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto store = fuzz::FreshStore("fuzz-identity");
  auto id = DecodeClusterIdentity(fuzz::View(data, size), "fuzz input");
  if (!id.ok()) {
    auto code = id.status().code();
    if (code != ErrorCode::kCorruption && code != ErrorCode::kNotSupported) {
      fuzz::Fail("unexpected error code: " + id.status().ToString());
    }
    return 0;
  }
  auto again = DecodeClusterIdentity(EncodeClusterIdentity(*id), "re-encoded");
  if (!again.ok() || again->cluster_id != id->cluster_id || again->created_ms != id->created_ms ||
      again->meta_store != id->meta_store || again->created_by != id->created_by ||
      again->format_version != id->format_version) {
    fuzz::Fail("a decoded identity does not round-trip");
  }
  (void)DescribeOwner(store.get(), *id);
  // Through the object store, as the start-up guard and restore read it.
  if (!store->Put(kClusterIdentityKey, fuzz::View(data, size)).ok()) fuzz::Fail("put");
  auto read = ReadClusterIdentity(store.get());
  if (!read.ok() || !*read) fuzz::Fail("ReadClusterIdentity disagrees with Decode");
  ClusterIdentity other = *id;
  other.cluster_id += "-other";
  (void)WriteClusterIdentity(store.get(), other);
  return 0;
}
