// What a client of the cluster can observe, as the model predicts it and as a dump of
// a real cluster reads it: live tables (id and rows), users and explicitly set params.
// Rows are shared between states (copy on write), so the model can keep the state
// after every changelog record cheaply.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace cairn::sim {

using Rows = std::map<std::string, std::string>;

struct TableState {
  uint32_t id = 0;
  std::shared_ptr<const Rows> rows = std::make_shared<const Rows>();
};

struct ClientState {
  std::map<std::string, TableState> tables;  // live tables by name
  std::set<std::string> users;
  std::map<std::string, std::string> params;  // params set explicitly
};

bool SameState(const ClientState& a, const ClientState& b);
// The first few differences, one per line ("table t2 key k17: expected 'x', got absent").
std::string DiffStates(const ClientState& expected, const ClientState& actual, size_t max = 6);
// "3 tables (41 rows), 1 users, 2 params".
std::string DescribeState(const ClientState& state);

}  // namespace cairn::sim
