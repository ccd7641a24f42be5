#include "meta/meta_writer.h"

#include <charconv>

#include "meta/keys.h"

namespace cairn {
namespace {

Result<uint64_t> ParseDecimal(std::string_view key, std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Corruption("meta key " + std::string(key) + " holds a non-number: '" +
                              std::string(text) + "'");
  }
  return v;
}

// Reads a decimal counter key; 0 when absent.
Result<uint64_t> ReadCounter(MetaStore* store, std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(auto kv, store->Get(key));
  if (!kv) return uint64_t{0};
  return ParseDecimal(key, kv->value);
}

}  // namespace

MetaWriter::MetaWriter(MetaStore* store, Clock* clock)
    : store_(store), clock_(clock), epochs_(clock) {}

Status MetaWriter::Open() {
  std::lock_guard lock(mu_);
  return LoadHeadLocked();
}

Status MetaWriter::LoadHeadLocked() {
  CAIRN_ASSIGN_OR_RETURN(uint64_t seq, ReadCounter(store_, keys::kChangelogSeq));
  last_seq_ = seq;
  if (seq == 0) return Status::OK();
  // The head record may be trimmed already (older than retention, and archived when
  // there is backup storage); the storage engine raises the epochs with what it loads.
  CAIRN_ASSIGN_OR_RETURN(auto head, store_->Get(keys::ChangelogKey(seq)));
  if (!head) return Status::OK();
  auto record = DecodeChangelogRecord(head->value);
  if (record.ok()) epochs_.Raise(record->epoch);
  return Status::OK();
}

MetaStore::TxnLimits MetaWriter::CallerTxnLimits() const {
  const MetaStore::TxnLimits limits = store_->BulkTxnLimits();
  constexpr size_t kRecordOverhead = 4096;  // seq key and value, record header, op tags
  return {limits.max_ops > 4 ? limits.max_ops - 2 : 1,
          limits.max_bytes > 2 * kRecordOverhead ? limits.max_bytes / 2 - kRecordOverhead : 1};
}

Result<CommitInfo> MetaWriter::Commit(Txn txn, uint64_t epoch, const EpochOps& with_epoch) {
  std::lock_guard lock(mu_);
  return CommitLocked(std::move(txn), epoch, with_epoch);
}

Result<CommitInfo> MetaWriter::CommitLocked(Txn txn, uint64_t epoch, const EpochOps& with_epoch) {
  CAIRN_RETURN_IF_ERROR(CheckLeaseFence());
  CommitInfo info;
  info.epoch = epochs_.Stamp(epoch);
  if (with_epoch) with_epoch(info.epoch, &txn);
  if (txn.ops.empty()) {
    CAIRN_ASSIGN_OR_RETURN(info.revision, store_->Commit(txn));
    return info;
  }
  if (changelog_enabled_) {
    ChangelogRecord record{last_seq_ + 1, info.epoch, clock_->NowMillis(), txn.ops};
    std::string seq_key(keys::kChangelogSeq);
    // The seq compare makes a second writer on the same meta store fail loudly
    // instead of interleaving two changelogs.
    txn.compares.push_back(last_seq_ == 0
                               ? Compare::Absent(seq_key)
                               : Compare::ValueEquals(seq_key, std::to_string(last_seq_)));
    txn.ops.push_back(Op::Put(keys::ChangelogKey(record.seq), EncodeChangelogRecord(record)));
    txn.ops.push_back(Op::Put(seq_key, std::to_string(record.seq)));
    info.seq = record.seq;
  }
  auto revision = store_->Commit(txn);
  if (!revision.ok()) {
    // The store may have moved on (lost ack, another writer): reload the head so the
    // next commit does not fail forever on a stale seq.
    (void)LoadHeadLocked();
    return revision.status();
  }
  if (epoch != 0) epochs_.Release(epoch);
  if (changelog_enabled_) last_seq_ = info.seq;
  info.revision = *revision;
  return info;
}

Result<uint64_t> MetaWriter::AllocateIds(std::string_view name, uint64_t count) {
  std::lock_guard lock(mu_);
  CAIRN_RETURN_IF_ERROR(CheckLeaseFence());
  std::string key = keys::IdKey(name);
  for (int attempt = 0; attempt < 8; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(auto kv, store_->Get(key));
    uint64_t next = 1;
    if (kv) {
      CAIRN_ASSIGN_OR_RETURN(next, ParseDecimal(key, kv->value));
    }
    Txn txn;
    txn.compares.push_back(Compare::RevisionEquals(key, kv ? kv->mod_revision : 0));
    txn.ops.push_back(Op::Put(key, std::to_string(next + count)));
    auto committed = CommitLocked(std::move(txn), 0, nullptr);
    if (committed.ok()) return next;
    if (!committed.status().IsConflict()) return committed.status();
  }
  return Status::Conflict("id generator " + key + ": too many concurrent allocations");
}

}  // namespace cairn
