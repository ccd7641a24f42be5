// A model of every value written per (key, epoch), to check a table's reads at any
// epoch against it (leveled and concurrent compaction tests).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "storage/cluster.h"
#include "storage/storage_test_env.h"

namespace cairn::testing {

// key -> epoch -> value (nullopt: deleted at that epoch).
using History = std::map<std::string, std::map<uint64_t, std::optional<std::string>>>;

// The value of `key` a read at `epoch` must return.
inline std::optional<std::string> At(const History& h, const std::string& key, uint64_t epoch) {
  auto it = h.find(key);
  if (it == h.end()) return std::nullopt;
  auto v = it->second.upper_bound(epoch);
  if (v == it->second.begin()) return std::nullopt;
  return std::prev(v)->second;
}

// A scan and a Get of every key of `table` at `epoch` return exactly the model's state.
inline void ExpectReadsMatch(Cluster* cluster, uint32_t table, const History& history,
                             uint64_t epoch) {
  std::map<std::string, std::string> want;
  for (const auto& [k, versions] : history) {
    if (auto v = At(history, k, epoch)) want[k] = *v;
  }
  auto rows = ScanAll(cluster, table, epoch);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, want) << "scan at epoch " << epoch;
  ReadOptions ro;
  ro.as_of_epoch = epoch;
  for (const auto& [k, versions] : history) {
    auto got = cluster->Get(table, k, ro);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, At(history, k, epoch)) << k << " at epoch " << epoch;
  }
}

}  // namespace cairn::testing
