// The changelog: one record per metadata commit, appended in the same meta-store
// transaction as the change itself (design.md §4, the seed's "unified metadata WAL").
// Replaying records S+1..T onto a snapshot taken at seq S reproduces the store at T.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct ChangelogRecord {
  uint64_t seq = 0;
  uint64_t epoch = 0;        // commit epoch of the change
  int64_t wall_time_ms = 0;  // wall clock at commit
  std::vector<Op> ops;       // the puts / deletes / range deletes, in order
};

std::string EncodeChangelogRecord(const ChangelogRecord& record);
// Corruption when the bytes are truncated or malformed.
Result<ChangelogRecord> DecodeChangelogRecord(std::string_view bytes);

// Applies `record` to `state` (key -> value) exactly as the meta store applied it,
// including the changelog-seq key.
void ApplyChangelogRecord(const ChangelogRecord& record, std::map<std::string, std::string>* state);

}  // namespace cairn
