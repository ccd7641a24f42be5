#include "backup/changelog_trim.h"

#include <limits>

#include "common/epoch.h"
#include "common/logging.h"
#include "meta/changelog.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr size_t kReadPage = 1000;
constexpr int64_t kLogEveryMs = 60'000;

}  // namespace

Result<TrimReport> TrimChangelog(MetaStore* meta, uint64_t max_seq, int64_t cutoff_ms) {
  TrimReport report;
  std::string first_key;
  std::string begin(keys::kChangelogPrefix);
  const std::string end = max_seq == std::numeric_limits<uint64_t>::max()
                              ? PrefixEnd(keys::kChangelogPrefix)
                              : keys::ChangelogKey(max_seq + 1);
  bool done = false;
  while (!done) {
    CAIRN_ASSIGN_OR_RETURN(auto page, meta->Range(begin, end, kReadPage));
    for (const auto& kv : page) {
      auto record = DecodeChangelogRecord(kv.value);
      if (!record.ok()) return record.status().WithContext("meta key " + kv.key);
      if (record->wall_time_ms >= cutoff_ms) {
        done = true;
        break;
      }
      if (first_key.empty()) first_key = kv.key;
      report.through_seq = record->seq;
      report.records++;
    }
    if (page.size() < kReadPage) break;
    begin = page.back().key + '\0';
  }
  if (report.records == 0) return report;
  Txn txn;
  txn.ops.push_back(Op::DeleteRange(first_key, keys::ChangelogKey(report.through_seq + 1)));
  CAIRN_RETURN_IF_ERROR(meta->Commit(txn).status());
  return report;
}

ChangelogTrimmer::ChangelogTrimmer(MetaStore* meta, Clock* clock, int64_t retention_ms)
    : meta_(meta), clock_(clock ? clock : SystemClock::Default()), retention_ms_(retention_ms) {}

ChangelogTrimmer::~ChangelogTrimmer() { Stop(); }

Result<TrimReport> ChangelogTrimmer::RunOnce() {
  CAIRN_ASSIGN_OR_RETURN(TrimReport report,
                         TrimChangelog(meta_, std::numeric_limits<uint64_t>::max(),
                                       SaturatingSubMillis(clock_->NowMillis(), retention_ms_)));
  records_trimmed_ += report.records;
  return report;
}

void ChangelogTrimmer::Start(int64_t interval_ms) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this, interval_ms] { Loop(interval_ms); });
}

void ChangelogTrimmer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ChangelogTrimmer::Loop(int64_t interval_ms) {
  std::unique_lock lock(mu_);
  int64_t logged_ms = std::numeric_limits<int64_t>::min();
  while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [&] { return stop_; })) {
    lock.unlock();
    auto trimmed = RunOnce();
    const int64_t now = clock_->NowMillis();
    if (!trimmed.ok() &&
        (logged_ms == std::numeric_limits<int64_t>::min() || now - logged_ms >= kLogEveryMs)) {
      CAIRN_LOG_WARN("changelog trim: {} (logged at most once a minute)",
                     trimmed.status().ToString());
      logged_ms = now;
    }
    lock.lock();
  }
}

}  // namespace cairn
