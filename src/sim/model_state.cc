#include "sim/model_state.h"

#include <optional>
#include <vector>

namespace cairn::sim {
namespace {

std::string Quote(const std::optional<std::string>& v) {
  if (!v) return "absent";
  std::string out = "'";
  for (char c : *v) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(c);
    } else {
      out += "?";
    }
  }
  if (out.size() > 42) out = out.substr(0, 39) + "...";
  return out + "'";
}

std::optional<std::string> Find(const Rows& rows, const std::string& key) {
  auto it = rows.find(key);
  if (it == rows.end()) return std::nullopt;
  return it->second;
}

}  // namespace

bool SameState(const ClientState& a, const ClientState& b) {
  if (a.users != b.users || a.params != b.params || a.tables.size() != b.tables.size()) {
    return false;
  }
  for (auto ia = a.tables.begin(), ib = b.tables.begin(); ia != a.tables.end(); ++ia, ++ib) {
    if (ia->first != ib->first || ia->second.id != ib->second.id) return false;
    if (ia->second.rows != ib->second.rows && *ia->second.rows != *ib->second.rows) return false;
  }
  return true;
}

std::string DiffStates(const ClientState& expected, const ClientState& actual, size_t max) {
  std::vector<std::string> diffs;
  auto add = [&](std::string line) {
    if (diffs.size() < max) diffs.push_back(std::move(line));
  };
  std::set<std::string> names;
  for (const auto& [name, t] : expected.tables) names.insert(name);
  for (const auto& [name, t] : actual.tables) names.insert(name);
  for (const auto& name : names) {
    auto e = expected.tables.find(name);
    auto a = actual.tables.find(name);
    if (e == expected.tables.end()) {
      add("table " + name + " (id " + std::to_string(a->second.id) + "): not expected, present");
      continue;
    }
    if (a == actual.tables.end()) {
      add("table " + name + " (id " + std::to_string(e->second.id) + "): expected, absent");
      continue;
    }
    if (e->second.id != a->second.id) {
      add("table " + name + ": expected id " + std::to_string(e->second.id) + ", got " +
          std::to_string(a->second.id));
    }
    std::set<std::string> keys;
    for (const auto& [k, v] : *e->second.rows) keys.insert(k);
    for (const auto& [k, v] : *a->second.rows) keys.insert(k);
    for (const auto& k : keys) {
      auto ev = Find(*e->second.rows, k), av = Find(*a->second.rows, k);
      if (ev != av)
        add("table " + name + " key " + k + ": expected " + Quote(ev) + ", got " + Quote(av));
    }
  }
  for (const auto& u : expected.users) {
    if (!actual.users.count(u)) add("user " + u + ": expected, absent");
  }
  for (const auto& u : actual.users) {
    if (!expected.users.count(u)) add("user " + u + ": not expected, present");
  }
  std::set<std::string> params;
  for (const auto& [k, v] : expected.params) params.insert(k);
  for (const auto& [k, v] : actual.params) params.insert(k);
  for (const auto& p : params) {
    auto ev =
        expected.params.count(p) ? std::optional<std::string>(expected.params.at(p)) : std::nullopt;
    auto av =
        actual.params.count(p) ? std::optional<std::string>(actual.params.at(p)) : std::nullopt;
    if (ev != av) add("param " + p + ": expected " + Quote(ev) + ", got " + Quote(av));
  }
  std::string out;
  for (const auto& d : diffs) out += "      " + d + "\n";
  return out;
}

std::string DescribeState(const ClientState& state) {
  size_t rows = 0;
  for (const auto& [name, t] : state.tables) rows += t.rows->size();
  return std::to_string(state.tables.size()) + " tables (" + std::to_string(rows) + " rows), " +
         std::to_string(state.users.size()) + " users, " + std::to_string(state.params.size()) +
         " params";
}

}  // namespace cairn::sim
