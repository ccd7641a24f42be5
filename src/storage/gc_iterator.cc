#include "storage/gc_iterator.h"

#include <string>

#include "sst/internal_key.h"

namespace cairn {
namespace {

class GcIterator final : public sst::Iterator {
 public:
  GcIterator(std::unique_ptr<sst::Iterator> input, GcOptions options)
      : input_(std::move(input)), options_(std::move(options)) {}

  bool Valid() const override { return status_.ok() && input_->Valid(); }
  void SeekToFirst() override {
    input_->SeekToFirst();
    current_user_part_.clear();
    have_user_part_ = false;
    Settle();
  }
  void Seek(std::string_view) override {
    status_ = Status::NotSupported("GcIterator is forward-only");
  }
  void Next() override {
    input_->Next();
    Settle();
  }
  std::string_view key() const override { return input_->key(); }
  std::string_view value() const override { return input_->value(); }
  Status status() const override { return status_.ok() ? input_->status() : status_; }

 private:
  // Skips input entries until one that must be kept.
  void Settle() {
    for (; input_->Valid(); input_->Next()) {
      sst::ParsedInternalKey k;
      if (!sst::ParseInternalKey(input_->key(), &k)) {
        status_ = Status::Corruption("malformed internal key in compaction input");
        return;
      }
      if (!have_user_part_ || k.user_part != current_user_part_) {
        current_user_part_.assign(k.user_part);
        have_user_part_ = true;
        below_watermark_seen_ = false;
      } else if (below_watermark_seen_) {
        continue;  // older than the version kept for the watermark
      }
      if (options_.table_gone && options_.table_gone(k.table_id())) continue;
      if (k.epoch <= options_.watermark) {
        below_watermark_seen_ = true;
        if (k.kind == sst::ValueKind::kDelete &&
            !(options_.older_may_exist && options_.older_may_exist(k.user_part))) {
          continue;
        }
      }
      return;
    }
  }

  std::unique_ptr<sst::Iterator> input_;
  GcOptions options_;
  std::string current_user_part_;
  bool have_user_part_ = false;
  bool below_watermark_seen_ = false;
  Status status_;
};

}  // namespace

std::unique_ptr<sst::Iterator> NewGcIterator(std::unique_ptr<sst::Iterator> input,
                                             GcOptions options) {
  return std::make_unique<GcIterator>(std::move(input), std::move(options));
}

}  // namespace cairn
