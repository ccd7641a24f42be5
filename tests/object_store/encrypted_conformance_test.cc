// The conformance suite through the encrypting wrapper, every key sealed: over mem://
// and fs://, with the default 64 KiB chunks and with 100-byte chunks (so that every
// range and object in the suite crosses chunk boundaries).
#include <memory>

#include "object_store/encrypted_object_store.h"
#include "object_store/mem_object_store.h"
#include "object_store_conformance.h"
#include "testing/test_util.h"

namespace cairn::testing {
namespace {

struct MemStoreDropper {
  std::string name;
  ~MemStoreDropper() { DropMemObjectStore(name); }
};

Result<std::unique_ptr<ObjectStore>> Encrypt(Result<std::unique_ptr<ObjectStore>> base,
                                             uint32_t chunk_size) {
  if (!base.ok()) return base.status();
  EncryptionOptions options;
  options.keys.Add(*EncryptionKey::FromBytes(std::string(32, '\x5a')));
  options.chunk_size = chunk_size;
  return std::unique_ptr<ObjectStore>(
      std::make_unique<EncryptedObjectStore>(std::move(base).value(), std::move(options)));
}

ObjectStoreBackend EncryptedBackend(const std::string& name, bool fs, uint32_t chunk_size) {
  ObjectStoreBackend backend;
  backend.name = name;
  backend.prepare = [fs, chunk_size](const std::string& test_id) -> ObjectStoreOpener {
    if (fs) {
      auto dir = std::make_shared<TempDir>();
      std::string url = "fs://" + dir->Sub(test_id);
      return [dir, url, chunk_size] { return Encrypt(OpenObjectStore(url), chunk_size); };
    }
    auto dropper = std::make_shared<MemStoreDropper>(MemStoreDropper{"encrypted-" + test_id});
    return [dropper, chunk_size] {
      return Encrypt(OpenObjectStore("mem://" + dropper->name), chunk_size);
    };
  };
  backend.listed_size = [chunk_size](uint64_t n) { return SealedSize(n, chunk_size); };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(
    Encrypted, ObjectStoreConformanceTest,
    ::testing::Values(EncryptedBackend("mem", false, kDefaultEncryptionChunkSize),
                      EncryptedBackend("fs", true, kDefaultEncryptionChunkSize),
                      EncryptedBackend("mem_small_chunks", false, 100)),
    BackendName);

}  // namespace
}  // namespace cairn::testing
