// Trimming the meta store's changelog (docs/pitr.md "Changelog retention"). With backup
// storage the archiver trims what it archived (ChangelogArchiver::TrimArchived); without
// it nothing ever reads the records (PITR needs archived segments), so a server keeps
// only the last `pitr_retention` of them (ChangelogTrimmer), and the meta store's
// changelog stays bounded either way. A later archive starts at the first record left.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct TrimReport {
  uint64_t records = 0;      // changelog records deleted from the meta store
  uint64_t through_seq = 0;  // last trimmed seq (0 when nothing was trimmed)
};

// Deletes, in one range delete, the oldest records with seq <= `max_seq` up to (not
// including) the first one written at or after `cutoff_ms`. A direct MetaStore::Commit,
// not MetaWriter: a changelog record of the trim would be trimmed by the next one, which
// would append one... Trimming changes no metadata a restore reproduces (changelog/ is
// excluded from snapshots), so it is the one meta-store write outside the changelog.
Result<TrimReport> TrimChangelog(MetaStore* meta, uint64_t max_seq, int64_t cutoff_ms);

// The trim loop of a server without backup storage: every interval, every record older
// than the retention goes.
class ChangelogTrimmer {
 public:
  ChangelogTrimmer(MetaStore* meta, Clock* clock, int64_t retention_ms);
  ~ChangelogTrimmer();

  Result<TrimReport> RunOnce();
  void Start(int64_t interval_ms);
  void Stop();
  uint64_t records_trimmed() const { return records_trimmed_; }
  // Param `pitr_retention` may change while the server runs (live params).
  void SetRetention(int64_t retention_ms) { retention_ms_ = retention_ms; }

 private:
  void Loop(int64_t interval_ms);

  MetaStore* const meta_;
  Clock* const clock_;
  std::atomic<int64_t> retention_ms_;
  std::atomic<uint64_t> records_trimmed_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cairn
