#include "meta_store/fault_meta_store.h"

#include <optional>

namespace cairn {

struct FaultMetaStore::State {
  explicit State(const FaultOptions& o) : options(o), random(o.seed) {}

  enum class Decision { kPass, kBeforeApply, kAfterApply, kCrashed };

  // Decides the fate of the next commit.
  Decision NextCommit() {
    std::lock_guard lock(mu);
    ++counters.commit_calls;
    if (crashed) {
      ++counters.injected;
      return Decision::kCrashed;
    }
    std::optional<FaultKind> fault;
    if (crash_countdown == 0) {
      fault = crash_kind;
      crashed = true;
    } else if (scripted_remaining > 0) {
      --scripted_remaining;
      fault = scripted_kind;
    } else if (random.Percent(options.fail_before_apply_percent)) {
      fault = FaultKind::kBeforeApply;
    } else if (random.Percent(options.fail_after_apply_percent)) {
      fault = FaultKind::kAfterApply;
    }
    if (crash_countdown >= 0) --crash_countdown;
    if (!fault) return Decision::kPass;
    ++counters.injected;
    return *fault == FaultKind::kBeforeApply ? Decision::kBeforeApply : Decision::kAfterApply;
  }

  // OK, or the error for a snapshot read (random fault or crashed store); `through` is
  // true for a read through an open snapshot, which etcd compaction can invalidate.
  Status SnapshotRead(bool through = false) {
    std::lock_guard lock(mu);
    ++counters.snapshot_reads;
    if (crashed) {
      ++counters.injected;
      return Status::IOError("injected meta store fault: the store has crashed");
    }
    if (random.Percent(options.fail_snapshot_read_percent)) {
      ++counters.injected;
      return Status::IOError("injected meta store fault: snapshot read failed");
    }
    if (through && options.compacted_read_percent > 0 &&
        random.Percent(options.compacted_read_percent)) {
      ++counters.injected;
      ++counters.compacted;
      return Status::Aborted(
          "injected meta store fault: required revision has been compacted (as etcd)");
    }
    return Status::OK();
  }

  const FaultOptions options;
  mutable std::mutex mu;
  Random random;
  FaultCounters counters;
  int scripted_remaining = 0;
  FaultKind scripted_kind = FaultKind::kBeforeApply;
  int64_t crash_countdown = -1;  // commits until the crash; -1 = none scheduled
  FaultKind crash_kind = FaultKind::kBeforeApply;
  bool crashed = false;
};

namespace {

class FaultSnapshot final : public MetaSnapshot {
 public:
  FaultSnapshot(std::unique_ptr<MetaSnapshot> base, std::shared_ptr<FaultMetaStore::State> state)
      : base_(std::move(base)), state_(std::move(state)) {}

  int64_t revision() const override { return base_->revision(); }

  Result<std::optional<KeyValue>> Get(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(state_->SnapshotRead(/*through=*/reads_++ > 0));
    return base_->Get(key);
  }

  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override {
    CAIRN_RETURN_IF_ERROR(state_->SnapshotRead(/*through=*/reads_++ > 0));
    return base_->Range(begin, end, limit);
  }

 private:
  std::unique_ptr<MetaSnapshot> base_;
  std::shared_ptr<FaultMetaStore::State> state_;
  int reads_ = 0;  // the first read is at the newest revision, which compaction keeps
};

}  // namespace

FaultMetaStore::FaultMetaStore(std::unique_ptr<MetaStore> base, const FaultOptions& options)
    : base_(std::move(base)), state_(std::make_shared<State>(options)) {}

FaultMetaStore::~FaultMetaStore() = default;

void FaultMetaStore::FailNext(int n, FaultKind kind) {
  std::lock_guard lock(state_->mu);
  state_->scripted_remaining = n;
  state_->scripted_kind = kind;
}

void FaultMetaStore::CrashAfter(int64_t commits, FaultKind kind) {
  std::lock_guard lock(state_->mu);
  state_->crash_countdown = commits;
  state_->crash_kind = kind;
}

void FaultMetaStore::Crash() {
  std::lock_guard lock(state_->mu);
  state_->crashed = true;
}

bool FaultMetaStore::crashed() const {
  std::lock_guard lock(state_->mu);
  return state_->crashed;
}

FaultCounters FaultMetaStore::counters() const {
  std::lock_guard lock(state_->mu);
  return state_->counters;
}

Result<std::unique_ptr<MetaSnapshot>> FaultMetaStore::Snapshot() {
  CAIRN_RETURN_IF_ERROR(state_->SnapshotRead());
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, base_->Snapshot());
  return std::unique_ptr<MetaSnapshot>(new FaultSnapshot(std::move(snapshot), state_));
}

Result<int64_t> FaultMetaStore::Commit(const Txn& txn) {
  using Decision = State::Decision;
  Decision decision = state_->NextCommit();
  if (decision == Decision::kCrashed) {
    return Status::IOError("injected meta store fault: the store has crashed");
  }
  if (decision == Decision::kBeforeApply) {
    return Status::IOError("injected meta store fault: commit failed before apply");
  }
  auto revision = base_->Commit(txn);
  if (revision.ok()) {
    std::lock_guard lock(state_->mu);
    ++state_->counters.commits_applied;
  }
  if (decision == Decision::kAfterApply) {
    return Status::Unavailable("injected meta store fault: commit applied, acknowledgement lost");
  }
  return revision;
}

}  // namespace cairn
