#include "storage/scan_iterator.h"

#include "sst/internal_key.h"

namespace cairn {
namespace {

class UserScanIterator final : public ScanIterator {
 public:
  UserScanIterator(std::unique_ptr<sst::Iterator> merged, std::shared_ptr<const Version> version,
                   uint32_t table_id, std::string from, std::string to, uint64_t read_epoch)
      : merged_(std::move(merged)),
        version_(std::move(version)),
        table_id_(table_id),
        to_(std::move(to)),
        epoch_(read_epoch) {
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
  void SkipCurrentUserKey() {
    while (merged_->Valid() && sst::UserPart(merged_->key()) == user_part_) merged_->Next();
  }

  void FindNextVisible() {
    valid_ = false;
    while (merged_->Valid()) {
      sst::ParsedInternalKey k;
      if (!sst::ParseInternalKey(merged_->key(), &k)) {
        status_ = Status::Corruption("malformed internal key during scan");
        return;
      }
      if (k.table_id() != table_id_ || (!to_.empty() && k.user_key() >= to_)) return;
      if (k.epoch > epoch_) {  // newer than the read epoch
        merged_->Next();
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
    status_ = merged_->status();
  }

  std::unique_ptr<sst::Iterator> merged_;
  std::shared_ptr<const Version> version_;
  const uint32_t table_id_;
  const std::string to_;
  const uint64_t epoch_;
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
                                                  std::string to, uint64_t read_epoch) {
  return std::make_unique<UserScanIterator>(std::move(merged), std::move(version), table_id,
                                            std::move(from), std::move(to), read_epoch);
}

}  // namespace cairn
