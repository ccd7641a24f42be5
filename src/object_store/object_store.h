// ObjectStore: where SSTs, backups and archived changelog live (design.md §2).
// Objects are immutable blobs addressed by key ("data/000000001234.sst").
// Implementations: fs:// (embedded default), s3://, mem://, and a fault-injecting
// wrapper around any of them. Open one by URL with OpenObjectStore().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cairn {

class Clock;

// Keys are 1..kMaxObjectKeySize bytes of printable ASCII without "..", a leading '/',
// or a NUL; ValidateObjectKey enforces this for every implementation.
// It also rejects empty and "." path segments ("a//b", "a/", "./a") so that every key
// maps to exactly one file path in the fs store.
inline constexpr size_t kMaxObjectKeySize = 1024;
Status ValidateObjectKey(std::string_view key);

// The key quoted for an error message: at most 64 bytes, non-printable bytes escaped.
std::string QuoteObjectKey(std::string_view key);

// What a create-only write returns when `key` exists in the store described by `store`
// (its DescribeForLog()): AlreadyExists naming both.
inline Status ObjectExistsError(std::string_view key, std::string_view store) {
  return Status::AlreadyExists("object " + QuoteObjectKey(key) + " already exists in " +
                               std::string(store) + "; create-only writes never replace it");
}

struct ObjectMeta {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ms = 0;  // last-modified, Unix ms (full vacuum compares it to min age)
};

struct ListPage {
  std::vector<ObjectMeta> objects;  // in ascending key order
  std::string next_token;           // empty when the listing is complete
};

// How a streaming writer publishes its object at Finish().
enum class WriteMode {
  kOverwrite,   // creates `key` or replaces the object there, as Put does
  kCreateOnly,  // creates `key`; AlreadyExists if it exists, as PutIfAbsent does
};

// Streaming upload: bytes are appended in pieces, the object becomes visible
// atomically at Finish(). Abort() (or destruction without Finish) leaves nothing
// visible. Lets an object larger than the memory budget be written.
//
// A kCreateOnly writer's Finish() returns AlreadyExists (naming the key and the store)
// when the key exists at publish time; the existing object is left untouched and
// nothing new becomes visible. A store that finds the key taken before Finish (S3
// checks before it starts a multipart upload) may fail Append() with the same
// AlreadyExists; Finish() then returns it too. After any error the writer is dead.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Finish() = 0;
  virtual void Abort() = 0;
  virtual uint64_t bytes_written() const = 0;
};

// Ranged reads of one object opened once (a TableReader keeps one per SST).
// Thread-safe.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Bytes [offset, offset+length) clipped to the object size, as GetRange.
  virtual Result<std::string> Read(uint64_t offset, uint64_t length) = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Atomically creates or replaces `key`: readers see the old or new bytes, never a mix.
  virtual Status Put(std::string_view key, std::string_view data) = 0;

  // Atomically creates `key` if no object has it. AlreadyExists (naming the key and the
  // store) when one does; the existing object is left untouched. Of concurrent calls on
  // a free key exactly one succeeds. Data objects (SSTs) are create-only: an existing
  // key is a bug to report, never an object to overwrite.
  //
  // Caveats on S3 (see s3_writer.h): a server that ignores If-None-Match (s3rver) is
  // only checked by a HEAD first, so a creator racing inside that window can still
  // overwrite; and a request retried after a lost reply may find the object its own
  // first attempt created and report AlreadyExists (the object then holds `data`).
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;

  // A streaming writer for `key` that publishes at Finish() as `mode` says (see
  // ObjectWriter). InvalidArgument for a bad key.
  virtual Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) = 0;
  // NewWriter(key, WriteMode::kOverwrite). Subclasses declare `using
  // ObjectStore::NewWriter;` so that overriding the virtual does not hide this.
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key) {
    return NewWriter(key, WriteMode::kOverwrite);
  }

  // NotFound (naming the key) when the object does not exist.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Bytes [offset, offset+length) clipped to the object size.
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;
  virtual Result<ObjectMeta> Head(std::string_view key) = 0;
  // A reader for repeated ranged reads of `key`, meant for immutable objects (SSTs).
  // The default forwards each Read to GetRange (so wrappers keep their behaviour);
  // fs:// opens the file once, so reads skip the path lookup and, like any open POSIX
  // file, keep seeing the bytes of an object deleted or replaced after the open.
  // A missing object is NotFound here or (the default) at the first Read.
  virtual Result<std::unique_ptr<ObjectReader>> OpenReader(std::string_view key);

  // Deleting a missing object succeeds (deletes are idempotent).
  virtual Status Delete(std::string_view key) = 0;

  // One page of objects whose key starts with `prefix`, in ascending key order,
  // at most `limit` (>0). Pass the previous page's next_token to continue.
  virtual Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) = 0;

  // The store's URL with secrets removed, for logs and errors.
  virtual std::string DescribeForLog() const = 0;

  // The id of the key (encryption_key.h) that an object written at `key` now is
  // encrypted with; "" when it is stored as written (every store but the encrypting
  // wrapper, encrypted_object_store.h).
  virtual std::string EncryptionKeyIdFor(std::string_view /*key*/) const { return {}; }
};

// Calls `fn` for every object under `prefix`, paging `page_size` at a time.
Status ListAll(ObjectStore& store, std::string_view prefix,
               const std::function<Status(const ObjectMeta&)>& fn, size_t page_size = 1000);

struct ObjectStoreOptions {
  Clock* clock = nullptr;  // nullptr = SystemClock::Default()
};

// Opens fs://, mem://, s3:// URLs. InvalidArgument names what is wrong with the URL.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url,
                                                     const ObjectStoreOptions& options = {});

// True for an fs:// URL whose root directory does not exist: opening it would create it,
// so a command that must change nothing checks this first.
bool ObjectStoreRootMissing(std::string_view url);

}  // namespace cairn
