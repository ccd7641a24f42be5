// The heap MergingIterator against a naive model (stable sort of every child's entries)
// on random inputs with duplicate user keys and identical internal keys across
// children, from SeekToFirst and from random Seek targets; and an error in one child
// stops the merge.
#include "storage/merging_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/random.h"
#include "sst/internal_key.h"

namespace cairn {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// A sorted vector as an iterator; with `fail_at` >= 0 it fails (Corruption, !Valid)
// when it would move onto that position.
class VectorIterator final : public sst::Iterator {
 public:
  explicit VectorIterator(Entries entries, int fail_at = -1)
      : entries_(std::move(entries)), fail_at_(fail_at) {}

  bool Valid() const override { return status_.ok() && pos_ < entries_.size(); }
  void SeekToFirst() override { MoveTo(0); }
  void Seek(std::string_view target) override {
    auto it = std::lower_bound(
        entries_.begin(), entries_.end(), target,
        [](const auto& e, std::string_view t) { return sst::CompareInternalKeys(e.first, t) < 0; });
    MoveTo(it - entries_.begin());
  }
  void Next() override { MoveTo(pos_ + 1); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  void MoveTo(size_t pos) {
    pos_ = pos;
    if (fail_at_ >= 0 && pos_ == static_cast<size_t>(fail_at_) && pos_ < entries_.size()) {
      status_ = Status::Corruption("injected");
    }
  }

  Entries entries_;
  const int fail_at_;
  size_t pos_ = 0;
  Status status_;
};

std::string RandomKey(Random* rnd, int user_keys) {
  std::string user = "u" + std::to_string(rnd->Uniform(user_keys));
  // Some user keys are prefixes of others ("u1", "u12"): internal-key order must still hold.
  return sst::MakeInternalKey(7, user, 1 + rnd->Uniform(4),
                              rnd->Uniform(2) ? sst::ValueKind::kPut : sst::ValueKind::kDelete);
}

struct Input {
  std::vector<Entries> children;
  Entries model;  // every entry, sorted by key then child order
};

Input RandomInput(Random* rnd) {
  Input in;
  int n = static_cast<int>(rnd->Uniform(9));  // 0..8 children, some empty
  int user_keys = 1 + static_cast<int>(rnd->Uniform(40));
  for (int c = 0; c < n; ++c) {
    std::vector<std::string> keys;
    int count = static_cast<int>(rnd->Uniform(30));
    for (int i = 0; i < count; ++i) keys.push_back(RandomKey(rnd, user_keys));
    std::sort(keys.begin(), keys.end(), sst::InternalKeyLess());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    Entries e;
    for (const auto& k : keys) e.emplace_back(k, "c" + std::to_string(c));
    in.model.insert(in.model.end(), e.begin(), e.end());
    in.children.push_back(std::move(e));
  }
  std::stable_sort(in.model.begin(), in.model.end(), [](const auto& a, const auto& b) {
    return sst::CompareInternalKeys(a.first, b.first) < 0;
  });
  return in;
}

std::unique_ptr<sst::Iterator> Merge(const Input& in, int failing_child = -1, int fail_at = -1) {
  std::vector<std::unique_ptr<sst::Iterator>> children;
  for (size_t c = 0; c < in.children.size(); ++c) {
    children.push_back(std::make_unique<VectorIterator>(
        in.children[c], static_cast<int>(c) == failing_child ? fail_at : -1));
  }
  return NewMergingIterator(std::move(children));
}

Entries Drain(sst::Iterator* it) {
  Entries out;
  for (; it->Valid(); it->Next())
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  return out;
}

TEST(MergingIteratorTest, MatchesModelFromFirstAndFromSeeks) {
  Random rnd(20261201);
  for (int round = 0; round < 500; ++round) {
    Input in = RandomInput(&rnd);
    auto it = Merge(in);
    it->SeekToFirst();
    ASSERT_EQ(Drain(it.get()), in.model) << "round " << round;
    ASSERT_TRUE(it->status().ok());
    for (int s = 0; s < 5; ++s) {
      std::string target = RandomKey(&rnd, 45);
      // Seeks on the same iterator: each one repositions every child.
      it->Seek(target);
      auto from = std::lower_bound(in.model.begin(), in.model.end(), target,
                                   [](const auto& e, const std::string& t) {
                                     return sst::CompareInternalKeys(e.first, t) < 0;
                                   });
      ASSERT_EQ(Drain(it.get()), Entries(from, in.model.end())) << "round " << round;
    }
  }
}

TEST(MergingIteratorTest, IdenticalKeysComeOutInChildOrder) {
  std::string k = sst::MakeInternalKey(1, "a", 5, sst::ValueKind::kPut);
  std::string later = sst::MakeInternalKey(1, "b", 5, sst::ValueKind::kPut);
  std::vector<std::unique_ptr<sst::Iterator>> children;
  children.push_back(std::make_unique<VectorIterator>(Entries{{k, "0"}, {later, "0"}}));
  children.push_back(std::make_unique<VectorIterator>(Entries{{k, "1"}}));
  children.push_back(std::make_unique<VectorIterator>(Entries{{k, "2"}, {later, "2"}}));
  auto it = NewMergingIterator(std::move(children));
  it->SeekToFirst();
  Entries got = Drain(it.get());
  Entries want = {{k, "0"}, {k, "1"}, {k, "2"}, {later, "0"}, {later, "2"}};
  EXPECT_EQ(got, want);
}

TEST(MergingIteratorTest, ChildErrorStopsTheMerge) {
  Random rnd(7);
  int failures = 0;
  for (int round = 0; round < 300; ++round) {
    Input in = RandomInput(&rnd);
    if (in.children.empty()) continue;
    int child = static_cast<int>(rnd.Uniform(in.children.size()));
    if (in.children[child].empty()) continue;
    int fail_at = static_cast<int>(rnd.Uniform(in.children[child].size()));
    auto it = Merge(in, child, fail_at);
    it->SeekToFirst();
    Entries got = Drain(it.get());
    ASSERT_FALSE(it->status().ok()) << "round " << round;
    EXPECT_EQ(it->status().code(), ErrorCode::kCorruption);
    // What came out before the error is the model's prefix, without the failing
    // child's entries from `fail_at` on.
    ASSERT_LE(got.size(), in.model.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), in.model.begin())) << "round " << round;
    size_t failing_before = 0;
    for (const auto& e : got) failing_before += e.second == "c" + std::to_string(child);
    EXPECT_EQ(failing_before, static_cast<size_t>(fail_at));
    // The error is final: a new seek does not resume past it.
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
    EXPECT_FALSE(it->status().ok());
    ++failures;
  }
  EXPECT_GT(failures, 100);
}

TEST(MergingIteratorTest, NoChildrenIsEmpty) {
  auto it = NewMergingIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  it->Seek(sst::MakeSeekKey(1, "x", 3));
  EXPECT_FALSE(it->Valid());
}

}  // namespace
}  // namespace cairn
