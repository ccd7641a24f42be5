// The writer lease (design.md §6): an object in the object store that a running
// server renews, so a second server, or a restore, on the same object store can tell
// that the store is in use. It lives in the object store, not the meta store, because
// restore must see it even when the meta store is lost.
//
// Fencing: the lease object carries a generation that every Acquire and every
// FenceWriterLease bumps and that never goes backwards (Release writes a released
// lease instead of deleting the object). A holder that finds another holder or another
// generation on renewal has lost the lease for good; and a holder whose renewals stop
// succeeding stops writing on its own once its last confirmation is older than the TTL
// minus a safety margin (WriterLease::Check), before anyone else may take over.
//
// The object store has no compare-and-swap, so two servers starting in the same
// instant can both write the lease; the read-back after the write narrows that window,
// and MetaWriter's changelog compare makes the loser's first meta commit fail.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn {

inline constexpr std::string_view kWriterLeaseKey = "lease/writer";

// The lease object: JSON {"holder", "expires_ms", "generation"[, "fenced_by"]}.
struct LeaseInfo {
  std::string holder;  // server id "HOST:PID:N"; empty when released or fenced
  int64_t expires_ms = 0;
  uint64_t generation = 0;  // 0 for objects written before generations existed
  std::string fenced_by;    // set by FenceWriterLease: who fenced the lease

  // Nobody holds it at `now_ms`: released, fenced or expired.
  bool FreeAt(int64_t now_ms) const { return holder.empty() || expires_ms <= now_ms; }
};

// The current lease object (released and expired ones included); nullopt when there
// is none. Corruption for bad bytes.
Result<std::optional<LeaseInfo>> ReadWriterLease(ObjectStore* store);

// OK when there is no lease, or it is free (released, fenced, expired) or held by
// `holder`; otherwise Busy naming the store, the holder and the time left.
Status CheckLeaseFree(ObjectStore* store, Clock* clock, std::string_view holder);

// Fences whoever holds the lease, live or not: writes a released lease with the next
// generation and a "fenced_by": `by` note. The holder learns on its next renewal (at
// most ttl/3 later) that it lost the lease, and has stopped committing by then or when
// its last confirmation ages out, whichever is first. Used by `cairn restore` after it
// wrote a restored meta store.
Status FenceWriterLease(ObjectStore* store, std::string_view by);

struct WriterLeaseOptions {
  // This host's name, compared with the HOST part of a live holder "HOST:PID:N";
  // empty = gethostname().
  std::string hostname;
  // Whether process `pid` on this host is alive; nullptr = kill(pid, 0) does not fail
  // with ESRCH. Tests inject it.
  std::function<bool(int pid)> pid_alive;
};

class WriterLease {
 public:
  WriterLease(ObjectStore* store, Clock* clock, std::string holder, int64_t ttl_ms,
              WriterLeaseOptions options = {});
  ~WriterLease();

  // Takes the lease with the next generation. Busy when another holder's lease is
  // still live, unless that holder is a dead process on this host (taken over at once,
  // with a warning naming it). Refuses (with Check()'s error) once the lease was lost.
  Status Acquire();
  // Renews every ttl/3 on a background thread until Release() or the lease is lost.
  void StartRenewing();
  // One renewal (the background thread's step): reads the lease and, when it still
  // names our holder and generation, rewrites it with a new expiry. Another holder or
  // generation, or no object, means the lease is lost for good: on_lost is called and
  // the error returned. Any other failure is returned and changes nothing, so Check()
  // starts failing when the last confirmation ages out.
  Status RenewOnce();
  // Cheap, in-memory, thread-safe. OK while the lease is held, not lost, and the last
  // successful write or confirmation started less than ttl - ttl/10 ago. Otherwise Busy:
  // "writer lease lost (taken over by X | fenced by X | expired: not renewed since T);
  // this server stopped writing" (or "writer lease not held").
  Status Check();
  // Called once, on the renewer thread, when the lease is found lost. Set it before
  // StartRenewing().
  void SetOnLost(std::function<void(const Status&)> on_lost);
  // True once the lease was found lost (never reset).
  bool lost();
  // Stops renewing. When the lease is still ours, writes a released lease (same
  // generation, no holder, expires_ms 0); a lost lease is left untouched.
  Status Release();

  const std::string& holder() const { return holder_; }
  uint64_t generation();

 private:
  Status CheckTakeable(const std::optional<LeaseInfo>& current, int64_t now_ms);
  bool HeldByDeadLocalProcess(const LeaseInfo& lease);
  Status Write(uint64_t generation, int64_t* expires_ms);
  Status MarkLost(const std::string& reason);
  void Confirmed(int64_t start_ms, int64_t expires_ms);
  void RenewLoop();

  ObjectStore* const store_;
  Clock* const clock_;
  const std::string holder_;
  const int64_t ttl_ms_;
  const int64_t margin_ms_;  // ttl/10: clock skew and pauses that Check() absorbs
  WriterLeaseOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool held_ = false;
  bool lost_ = false;
  Status lost_status_;
  uint64_t generation_ = 0;
  int64_t confirmed_ms_ = 0;    // start of the last successful write or confirmation
  int64_t valid_until_ms_ = 0;  // confirmed_ms_ + ttl - margin
  int64_t expires_ms_ = 0;      // expiry we last wrote
  std::function<void(const Status&)> on_lost_;
  std::thread renewer_;
};

// A meta store view for components that use the meta store directly rather than
// through MetaWriter (the changelog archiver): every snapshot and commit first asks
// `fence` and returns its error, so once the writer lease is lost such a component
// can neither read nor write. `base` must outlive the view.
class FencedMetaStore final : public MetaStore {
 public:
  FencedMetaStore(MetaStore* base, std::function<Status()> fence)
      : base_(base), fence_(std::move(fence)) {}

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return base_->DescribeForLog(); }
  TxnLimits BulkTxnLimits() const override { return base_->BulkTxnLimits(); }

 private:
  MetaStore* const base_;
  const std::function<Status()> fence_;
};

}  // namespace cairn
