// The writer lease (design.md §6): an object in the object store that a running
// server renews, so a second server, or a restore, on the same object store can tell
// that the store is in use. It lives in the object store, not the meta store, because
// restore must see it even when the meta store is lost.
//
// The object store has no compare-and-swap, so two servers starting in the same
// instant can both write the lease; the read-back after the write narrows that window,
// and MetaWriter's changelog compare makes the loser's first meta commit fail.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr std::string_view kWriterLeaseKey = "lease/writer";

struct LeaseInfo {
  std::string holder;  // server id, e.g. "host:pid:random"
  int64_t expires_ms = 0;
};

// The current lease object; nullopt when there is none. Corruption for bad bytes.
Result<std::optional<LeaseInfo>> ReadWriterLease(ObjectStore* store);

// Busy naming the store and the holder when a live lease not held by `holder` exists.
Status CheckLeaseFree(ObjectStore* store, Clock* clock, std::string_view holder);

class WriterLease {
 public:
  WriterLease(ObjectStore* store, Clock* clock, std::string holder, int64_t ttl_ms);
  ~WriterLease();

  // Takes the lease; Busy when another holder's lease is still live.
  Status Acquire();
  // Renews every ttl/3 on a background thread until Release().
  void StartRenewing();
  // Stops renewing and deletes the lease if it is still ours.
  Status Release();

  const std::string& holder() const { return holder_; }

 private:
  Status Write();
  void RenewLoop();

  ObjectStore* const store_;
  Clock* const clock_;
  const std::string holder_;
  const int64_t ttl_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool held_ = false;
  std::thread renewer_;
};

}  // namespace cairn
