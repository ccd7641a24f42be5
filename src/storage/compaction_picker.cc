#include "storage/compaction_picker.h"

#include <algorithm>

#include "sst/internal_key.h"
#include "storage/compaction_reservations.h"

namespace cairn {
namespace {

// The user-part range [lo, hi] covered by `files`.
std::pair<std::string_view, std::string_view> RangeOf(const std::vector<SstRef>& files) {
  std::string_view lo = sst::UserPart(files.front()->smallest_key);
  std::string_view hi = sst::UserPart(files.front()->largest_key);
  for (const SstRef& f : files) {
    lo = std::min(lo, sst::UserPart(f->smallest_key));
    hi = std::max(hi, sst::UserPart(f->largest_key));
  }
  return {lo, hi};
}

uint64_t Bytes(const std::vector<SstRef>& files) {
  uint64_t bytes = 0;
  for (const SstRef& f : files) bytes += f->file_size;
  return bytes;
}

// `upper` (SSTs of `level`) plus the SSTs of level + 1 they overlap. Upper SSTs of a
// sorted level that overlap nothing below are a trivial move.
Compaction WithOverlap(const Version& v, int level, std::vector<SstRef> upper) {
  Compaction c;
  c.level = level;
  c.output_level = level + 1;
  auto [lo, hi] = RangeOf(upper);
  c.inputs = std::move(upper);
  size_t upper_count = c.inputs.size();
  for (SstRef& f : v.Overlapping(level + 1, lo, hi)) c.inputs.push_back(std::move(f));
  c.trivial_move = level >= 1 && c.inputs.size() == upper_count;
  return c;
}

bool Admitted(const CompactionReservations* running, const Compaction& c) {
  return !running || running->Admits(c);
}

bool UserRangesOverlap(const SstMeta& a, const SstMeta& b) {
  return sst::UserPart(a.smallest_key) <= sst::UserPart(b.largest_key) &&
         sst::UserPart(b.smallest_key) <= sst::UserPart(a.largest_key);
}

}  // namespace

Status CompactionPicker::TooLarge(const SstMeta& f, int level, size_t overlapping) const {
  return Status::FailedPrecondition(
      "compaction of SST " + SstObjectKey(f.object_id) + " at L" + std::to_string(level) +
      " with the " + std::to_string(overlapping) + " SSTs it overlaps at L" +
      std::to_string(level + 1) + " does not fit one meta-store commit (at most " +
      std::to_string(budget_.limits().max_ops) + " ops, " +
      std::to_string(budget_.limits().max_bytes) + " bytes)");
}

CommitCost CompactionPicker::Cost(const Compaction& c) const {
  return c.trivial_move ? CommitBudget::EstimateMove(c.inputs)
                        : CommitBudget::Estimate(c.inputs, target_bytes_);
}

std::optional<Compaction> CompactionPicker::MoveLevel0(
    const Version& v, const CompactionReservations* running) const {
  const auto& l0 = v.level(0);  // newest first
  Compaction c;
  c.level = 0;
  c.output_level = 1;
  c.trivial_move = true;
  for (auto it = l0.rbegin(); it != l0.rend(); ++it) {
    const SstMeta& f = **it;
    bool free =
        v.Overlapping(1, sst::UserPart(f.smallest_key), sst::UserPart(f.largest_key)).empty();
    for (const SstRef& taken : c.inputs) free = free && !UserRangesOverlap(*taken, f);
    if (!free) break;
    c.inputs.push_back(*it);
    if (!budget_.Fits(Cost(c)) || !Admitted(running, c)) {
      c.inputs.pop_back();
      break;
    }
  }
  if (c.inputs.empty()) return std::nullopt;
  // A newer L0 SST overlapping a moved one would be merged with it at L1 next, so the
  // move would save nothing: merge them all now instead.
  for (auto it = l0.rbegin() + static_cast<std::ptrdiff_t>(c.inputs.size()); it != l0.rend();
       ++it) {
    for (const SstRef& moved : c.inputs) {
      if (UserRangesOverlap(*moved, **it)) return std::nullopt;
    }
  }
  return c;
}

Result<std::optional<Compaction>> CompactionPicker::PickLevel0(
    const Version& v, const CompactionReservations* running) const {
  if (auto move = MoveLevel0(v, running)) return move;
  const auto& l0 = v.level(0);  // newest first
  std::optional<Compaction> best;
  std::vector<SstRef> upper;
  for (auto it = l0.rbegin(); it != l0.rend(); ++it) {
    upper.push_back(*it);
    Compaction c = WithOverlap(v, 0, upper);
    // Taking more only widens the range: stop at the first one not admitted.
    if (!Admitted(running, c)) break;
    if (!budget_.Fits(Cost(c))) {
      if (!best) return TooLarge(**it, 0, c.inputs.size() - 1);
      break;
    }
    best = std::move(c);
  }
  return best;
}

Result<Compaction> CompactionPicker::PickRun(const Version& v, int level,
                                             const std::vector<SstRef>& files, size_t first) const {
  std::optional<Compaction> best;
  std::vector<SstRef> upper;
  for (size_t i = first; i < files.size(); ++i) {
    upper.push_back(files[i]);
    Compaction c = WithOverlap(v, level, upper);
    // A run that starts with a move stays one (what it would merge is picked next).
    if (best && best->trivial_move && !c.trivial_move) break;
    if (!budget_.Fits(Cost(c))) {
      if (!best) return TooLarge(*files[i], level, c.inputs.size() - 1);
      break;
    }
    best = std::move(c);
  }
  return std::move(*best);
}

Result<std::optional<Compaction>> CompactionPicker::PickByOverlap(
    const Version& v, int level, const CompactionReservations* running) const {
  std::optional<Compaction> best;
  double best_ratio = 0;
  size_t smallest_overlap = SIZE_MAX;
  const SstMeta* smallest_file = nullptr;
  for (const SstRef& f : v.level(level)) {
    if (running && running->Holds(f->object_id)) continue;
    Compaction c = WithOverlap(v, level, {f});
    if (!Admitted(running, c)) continue;
    if (!budget_.Fits(Cost(c))) {
      if (c.inputs.size() < smallest_overlap) {
        smallest_overlap = c.inputs.size();
        smallest_file = f.get();
      }
      continue;
    }
    uint64_t below = Bytes(c.inputs) - f->file_size;
    double ratio =
        static_cast<double>(below) / static_cast<double>(std::max<uint64_t>(f->file_size, 1));
    if (!best || ratio < best_ratio) {
      best_ratio = ratio;
      best = std::move(c);
      if (best->trivial_move) break;  // nothing beats moving without a rewrite
    }
  }
  if (!best && smallest_file) return TooLarge(*smallest_file, level, smallest_overlap - 1);
  return best;
}

Result<std::optional<Compaction>> CompactionPicker::PickAuto(
    const Version& v, const CompactionReservations* running) const {
  std::vector<std::pair<double, int>> scores;
  for (int level = 0; level < sizing_.last_level(); ++level) {
    double score = sizing_.Score(v, level);
    if (score >= 1) scores.emplace_back(score, level);
  }
  std::sort(scores.begin(), scores.end(), std::greater<>());
  Status refused;
  for (const auto& [score, level] : scores) {
    auto c = level == 0 ? PickLevel0(v, running) : PickByOverlap(v, level, running);
    if (!c.ok()) {
      refused = c.status();
    } else if (*c) {
      return c;
    }
  }
  if (!refused.ok()) return refused;
  return std::optional<Compaction>();
}

Result<std::optional<Compaction>> CompactionPicker::PickFull(
    const Version& v, const std::set<uint64_t>& rewritten) const {
  if (!v.level(0).empty()) return PickLevel0(v, /*running=*/nullptr);
  int bottom = std::max(1, v.DeepestLevel());
  for (int level = 1; level < bottom; ++level) {
    if (v.level(level).empty()) continue;
    CAIRN_ASSIGN_OR_RETURN(Compaction c, PickRun(v, level, v.level(level), 0));
    return std::optional<Compaction>(std::move(c));
  }
  // The bottom pass: each run of not yet rewritten SSTs, alone (they overlap nothing).
  const auto& files = v.level(bottom);
  Compaction c;
  c.level = c.output_level = bottom;
  for (const SstRef& f : files) {
    if (rewritten.count(f->object_id)) {
      if (!c.inputs.empty()) break;
      continue;
    }
    c.inputs.push_back(f);
    if (!budget_.Fits(CommitBudget::Estimate(c.inputs, target_bytes_))) {
      c.inputs.pop_back();
      if (c.inputs.empty()) return TooLarge(*f, bottom, 0);
      break;
    }
  }
  if (c.inputs.empty()) return std::optional<Compaction>();
  return std::optional<Compaction>(std::move(c));
}

}  // namespace cairn
