#include "storage/level_iterator.h"

#include <algorithm>

#include "sst/internal_key.h"

namespace cairn {
namespace {

class LevelIterator final : public sst::Iterator {
 public:
  LevelIterator(std::shared_ptr<const Version> version, int level, size_t first, size_t last,
                OpenSst open, std::function<bool(const SstMeta&)> skip)
      : version_(std::move(version)),
        files_(version_->level(level)),
        first_(first),
        last_(last),
        open_(std::move(open)),
        skip_(std::move(skip)) {}

  bool Valid() const override { return current_ && current_->Valid(); }
  void SeekToFirst() override {
    OpenFile(first_);
    if (current_) current_->SeekToFirst();
    SkipEmptyFiles();
  }
  void Seek(std::string_view target) override {
    // The first file whose largest key is >= target; earlier ones end before it.
    auto begin = files_.begin() + first_, end = files_.begin() + last_;
    auto it = std::lower_bound(begin, end, target, [](const SstRef& f, std::string_view t) {
      return sst::CompareInternalKeys(f->largest_key, t) < 0;
    });
    OpenFile(it - files_.begin());
    if (current_) current_->Seek(target);
    SkipEmptyFiles();
  }
  void Next() override {
    current_->Next();
    SkipEmptyFiles();
  }
  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    return current_ ? current_->status() : Status::OK();
  }

 private:
  // Opens the first file at or after `index` that is not skipped (none: current_ null).
  void OpenFile(size_t index) {
    current_.reset();
    for (index_ = index; index_ < last_; ++index_) {
      if (skip_ && skip_(*files_[index_])) continue;
      auto it = open_(*files_[index_]);
      if (!it.ok()) {
        status_ = it.status();
        return;
      }
      current_ = std::move(it).value();
      return;
    }
  }
  // Moves past files that are exhausted, stopping at an error.
  void SkipEmptyFiles() {
    while (current_ && !current_->Valid() && current_->status().ok()) {
      OpenFile(index_ + 1);
      if (current_) current_->SeekToFirst();
    }
  }

  const std::shared_ptr<const Version> version_;
  const std::vector<SstRef>& files_;
  const size_t first_, last_;
  const OpenSst open_;
  const std::function<bool(const SstMeta&)> skip_;
  size_t index_ = 0;
  std::unique_ptr<sst::Iterator> current_;
  Status status_;
};

}  // namespace

std::unique_ptr<sst::Iterator> NewLevelIterator(std::shared_ptr<const Version> version, int level,
                                                size_t first, size_t last, OpenSst open,
                                                std::function<bool(const SstMeta&)> skip) {
  return std::make_unique<LevelIterator>(std::move(version), level, first, last, std::move(open),
                                         std::move(skip));
}

}  // namespace cairn
