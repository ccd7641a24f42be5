#include "meta/changelog.h"

#include "common/coding.h"
#include "meta/keys.h"

namespace cairn {
namespace {

constexpr uint8_t kRecordFormat = 1;

}  // namespace

std::string EncodeChangelogRecord(const ChangelogRecord& record) {
  std::string out;
  out.push_back(static_cast<char>(kRecordFormat));
  PutVarint64(&out, record.seq);
  PutVarint64(&out, record.epoch);
  PutVarint64(&out, static_cast<uint64_t>(record.wall_time_ms));
  PutVarint64(&out, record.ops.size());
  for (const Op& op : record.ops) {
    out.push_back(static_cast<char>(op.kind));
    PutLengthPrefixed(&out, op.key);
    if (op.kind == Op::Kind::kPut) PutLengthPrefixed(&out, op.value);
    if (op.kind == Op::Kind::kDeleteRange) PutLengthPrefixed(&out, op.end);
  }
  return out;
}

Result<ChangelogRecord> DecodeChangelogRecord(std::string_view in) {
  auto corrupt = [](const char* what) {
    return Status::Corruption(std::string("changelog record: ") + what);
  };
  if (in.empty()) return corrupt("empty");
  if (static_cast<uint8_t>(in[0]) != kRecordFormat) {
    return Status::Corruption("changelog record: unknown format " +
                              std::to_string(static_cast<uint8_t>(in[0])));
  }
  in.remove_prefix(1);
  ChangelogRecord record;
  uint64_t wall = 0, count = 0;
  if (!GetVarint64(&in, &record.seq) || !GetVarint64(&in, &record.epoch) ||
      !GetVarint64(&in, &wall) || !GetVarint64(&in, &count)) {
    return corrupt("truncated header");
  }
  record.wall_time_ms = static_cast<int64_t>(wall);
  if (count > in.size()) return corrupt("op count exceeds record size");
  record.ops.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (in.empty()) return corrupt("truncated op");
    auto kind = static_cast<Op::Kind>(in[0]);
    in.remove_prefix(1);
    if (kind != Op::Kind::kPut && kind != Op::Kind::kDelete && kind != Op::Kind::kDeleteRange) {
      return corrupt("unknown op kind");
    }
    std::string_view key, second;
    if (!GetLengthPrefixed(&in, &key)) return corrupt("truncated key");
    if (kind != Op::Kind::kDelete && !GetLengthPrefixed(&in, &second)) {
      return corrupt("truncated value");
    }
    Op op{kind, std::string(key), {}, {}};
    if (kind == Op::Kind::kPut) op.value = std::string(second);
    if (kind == Op::Kind::kDeleteRange) op.end = std::string(second);
    record.ops.push_back(std::move(op));
  }
  if (!in.empty()) return corrupt("trailing bytes");
  return record;
}

void ApplyChangelogRecord(const ChangelogRecord& record,
                          std::map<std::string, std::string>* state) {
  for (const Op& op : record.ops) {
    switch (op.kind) {
      case Op::Kind::kPut:
        (*state)[op.key] = op.value;
        break;
      case Op::Kind::kDelete:
        state->erase(op.key);
        break;
      case Op::Kind::kDeleteRange: {
        auto first = state->lower_bound(op.key);
        auto last = op.end.empty() ? state->end() : state->lower_bound(op.end);
        if (first != state->end() && (last == state->end() || first->first < last->first)) {
          state->erase(first, last);
        }
        break;
      }
    }
  }
  (*state)[std::string(keys::kChangelogSeq)] = std::to_string(record.seq);
}

}  // namespace cairn
