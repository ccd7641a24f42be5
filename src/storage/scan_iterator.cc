#include "storage/scan_iterator.h"

#include "sst/internal_key.h"

namespace cairn {
namespace {

class UserScanIterator final : public ScanIterator {
 public:
  UserScanIterator(std::unique_ptr<sst::Iterator> merged, std::shared_ptr<const Version> version,
                   uint32_t table_id, std::string from, std::string to, uint64_t read_epoch,
                   std::function<bool()> cancelled)
      : merged_(std::move(merged)),
        version_(std::move(version)),
        table_id_(table_id),
        to_(std::move(to)),
        epoch_(read_epoch),
        cancelled_(std::move(cancelled)) {
    merged_->Seek(sst::MakeSeekKey(table_id_, from, epoch_));
    FindNextVisible();
  }

  bool Valid() const override { return valid_; }
  void Next() override {
    SkipCurrentUserKey();
    FindNextVisible();
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  // Steps the merged stream; false once the scan is cancelled (status_ says so). Every
  // step counts, so a run of tombstones or hidden versions is cancellable too.
  bool Step() {
    merged_->Next();
    if (++steps_ % kScanCancelCheckEntries == 0 && cancelled_ && cancelled_()) {
      status_ = Status::Aborted("scan cancelled");
      return false;
    }
    return true;
  }

  void SkipCurrentUserKey() {
    while (merged_->Valid() && sst::UserPart(merged_->key()) == user_part_) {
      if (!Step()) return;
    }
  }

  void FindNextVisible() {
    valid_ = false;
    while (status_.ok() && merged_->Valid()) {
      sst::ParsedInternalKey k;
      if (!sst::ParseInternalKey(merged_->key(), &k)) {
        status_ = Status::Corruption("malformed internal key during scan");
        return;
      }
      if (k.table_id() != table_id_ || (!to_.empty() && k.user_key() >= to_)) return;
      if (k.epoch > epoch_) {  // newer than the read epoch
        Step();
        continue;
      }
      user_part_.assign(k.user_part);
      if (k.kind == sst::ValueKind::kPut) {
        key_.assign(k.user_key());
        value_.assign(merged_->value());
        valid_ = true;
        return;
      }
      SkipCurrentUserKey();
    }
    if (status_.ok()) status_ = merged_->status();
  }

  std::unique_ptr<sst::Iterator> merged_;
  std::shared_ptr<const Version> version_;
  const uint32_t table_id_;
  const std::string to_;
  const uint64_t epoch_;
  const std::function<bool()> cancelled_;
  uint64_t steps_ = 0;  // merged entries stepped over
  std::string user_part_;
  std::string key_;
  std::string value_;
  bool valid_ = false;
  Status status_;
};

}  // namespace

std::unique_ptr<ScanIterator> NewUserScanIterator(std::unique_ptr<sst::Iterator> merged,
                                                  std::shared_ptr<const Version> version,
                                                  uint32_t table_id, std::string from,
                                                  std::string to, uint64_t read_epoch,
                                                  std::function<bool()> cancelled) {
  return std::make_unique<UserScanIterator>(std::move(merged), std::move(version), table_id,
                                            std::move(from), std::move(to), read_epoch,
                                            std::move(cancelled));
}

}  // namespace cairn
