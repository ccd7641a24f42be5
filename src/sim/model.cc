#include "sim/model.h"

#include <algorithm>
#include <charconv>

#include "meta/keys.h"
#include "storage/storage_codec.h"

namespace cairn::sim {
namespace {

uint64_t ParseU64(std::string_view text) { return ParseDecimalValue(text); }

bool HexId(std::string_view key, std::string_view prefix, uint64_t* id) {
  if (!key.starts_with(prefix)) return false;
  std::string_view hex = key.substr(prefix.size());
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), *id, 16);
  return ec == std::errc() && end == hex.data() + hex.size();
}

}  // namespace

uint64_t ParseDecimalValue(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() ? v : 0;
}

std::string DescribeKinds(uint32_t kinds) {
  static const char* kNames[] = {"alloc-object", "alloc-table",  "alloc-backup", "checkpoint",
                                 "compaction",   "table-create", "table-drop",   "user-create",
                                 "user-drop",    "param",        "pin",          "vacuum",
                                 "cluster-id",   "unknown"};
  std::string out;
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (kinds & (1u << i)) out += (out.empty() ? "" : "+") + std::string(kNames[i]);
  }
  return out.empty() ? "none" : out;
}

Model::Model() {
  HistoryEntry base;
  base.state = std::make_shared<const ClientState>();
  base.ssts = std::make_shared<const SstSet>();
  timelines_.emplace_back(std::move(base));
}

void Model::AddPending(uint64_t epoch, std::vector<WriteBatch::Entry> batch) {
  if (!batch.empty()) pending_.emplace_back(epoch, std::move(batch));
}

bool Model::OnLineage(int timeline, uint64_t seq) const {
  uint64_t limit = UINT64_MAX;
  for (int t = this->timeline(); t > 0;) {
    const History& h = timelines_[t - 1];
    if (t == timeline) return seq <= limit;
    limit = std::min(limit, h.base().seq);
    t = h.base().parent;
  }
  return false;
}

void Model::StartTimeline(HistoryEntry base, std::map<std::string, uint64_t> ids) {
  pending_.clear();
  ids_ = std::move(ids);
  timelines_.emplace_back(std::move(base));
}

RecordSummary Model::Apply(const ChangelogRecord& record, std::string* violation) {
  RecordSummary summary;
  summary.seq = record.seq;
  summary.epoch = record.epoch;
  const HistoryEntry& prev = current().last();
  if (record.seq != prev.seq + 1) {
    *violation =
        "changelog seq " + std::to_string(record.seq) + " follows seq " + std::to_string(prev.seq);
  }
  bool version_put = false;
  std::vector<uint64_t> sst_puts, sst_deletes;
  for (const Op& op : record.ops) {
    const std::string& key = op.key;
    bool put = op.kind == Op::Kind::kPut;
    bool del = op.kind == Op::Kind::kDelete;
    uint64_t id = 0;
    if (key == keys::kStorageVersion && put) {
      version_put = true;
    } else if (HexId(key, keys::kStorageSstPrefix, &id) && (put || del)) {
      (put ? sst_puts : sst_deletes).push_back(id);
    } else if (key.starts_with(keys::kStorageStalePrefix)) {
      if (!put) summary.kinds |= kVacuum;  // stale puts come with a compaction
    } else if (key.starts_with(keys::kCatalogNamePrefix) && (put || del)) {
      std::string name = key.substr(keys::kCatalogNamePrefix.size());
      if (put) {
        summary.tables_created.emplace_back(name, static_cast<uint32_t>(ParseU64(op.value)));
      } else {
        summary.tables_dropped.push_back(name);
      }
    } else if (key.starts_with(keys::kCatalogTablePrefix) || key == keys::kCatalogVersion) {
      // part of a DDL commit, described by its catalog/name/ op
    } else if (key.starts_with(keys::kUserPrefix) && (put || del)) {
      (put ? summary.users_created : summary.users_dropped)
          .push_back(key.substr(keys::kUserPrefix.size()));
    } else if (key.starts_with(keys::kParamPrefix) && put) {
      summary.params.emplace_back(key.substr(keys::kParamPrefix.size()), op.value);
    } else if (key.starts_with(keys::kIdPrefix) && put) {
      std::string name = key.substr(keys::kIdPrefix.size());
      uint64_t value = ParseU64(op.value);
      uint32_t kind = kUnknown;
      if (name == "object") kind = kAllocObject;
      if (name == "table") kind = kAllocTable;
      if (name == "backup") kind = kAllocBackup;
      summary.kinds |= kind;
      auto [it, fresh] = ids_.try_emplace(name, 1);  // an absent generator starts at 1
      if (value <= it->second && violation->empty()) {
        *violation = "id generator ids/" + name + " went from " + std::to_string(it->second) +
                     " to " + std::to_string(value);
      }
      it->second = value;
      max_issued_[name] = std::max(max_issued_[name], value);
    } else if (key.starts_with(keys::kBackupPinPrefix)) {
      summary.kinds |= kPin;
    } else if (key == keys::kClusterId && put) {
      summary.kinds |= kClusterId;
    } else {
      summary.kinds |= kUnknown;
      if (summary.unknown_key.empty()) summary.unknown_key = key;
    }
  }
  // A checkpoint only adds SSTs; a compaction removes some or moves some (a trivial
  // move puts an SST that is already in the version at its new level).
  bool moves = std::any_of(sst_puts.begin(), sst_puts.end(),
                           [&](uint64_t id) { return prev.ssts->count(id) > 0; });
  if (version_put) summary.kinds |= sst_deletes.empty() && !moves ? kCheckpoint : kCompaction;
  if (!version_put && (!sst_puts.empty() || !sst_deletes.empty())) {
    summary.kinds |= kUnknown;
    summary.unknown_key = "storage/sst/ without storage/version";
  }
  if (!summary.tables_created.empty()) summary.kinds |= kTableCreate;
  if (!summary.tables_dropped.empty()) summary.kinds |= kTableDrop;
  if (!summary.users_created.empty()) summary.kinds |= kUserCreate;
  if (!summary.users_dropped.empty()) summary.kinds |= kUserDrop;
  if (!summary.params.empty()) summary.kinds |= kParam;

  HistoryEntry next;
  next.seq = record.seq;
  next.epoch = record.epoch;
  next.wall_ms = record.wall_time_ms;
  next.state = prev.state;
  next.ssts = prev.ssts;
  if (!sst_puts.empty() || !sst_deletes.empty()) {
    auto ssts = std::make_shared<SstSet>(*prev.ssts);
    for (uint64_t id : sst_deletes) ssts->erase(id);
    for (uint64_t id : sst_puts) ssts->insert(id);
    next.ssts = std::move(ssts);
  }
  bool visible = (summary.kinds & (kCheckpoint | kTableCreate | kTableDrop | kUserCreate |
                                   kUserDrop | kParam)) != 0;
  if (visible) {
    auto state = std::make_shared<ClientState>(*prev.state);
    for (const auto& name : summary.tables_dropped) {
      if (!state->tables.erase(name) && violation->empty()) {
        *violation = "changelog drops table " + name + ", which is not live";
      }
    }
    for (const auto& [name, id] : summary.tables_created) {
      if (state->tables.count(name) && violation->empty()) {
        *violation = "changelog creates table " + name + ", which is already live";
      }
      state->tables[name] = TableState{id, std::make_shared<const Rows>()};
    }
    for (const auto& u : summary.users_created) state->users.insert(u);
    for (const auto& u : summary.users_dropped) state->users.erase(u);
    for (const auto& [name, value] : summary.params) state->params[name] = value;
    if (summary.kinds & kCheckpoint) {
      // The memtables of epochs up to the record's are in this checkpoint, in the
      // order written.
      std::map<uint32_t, std::string> by_id;
      for (const auto& [name, t] : state->tables) by_id[t.id] = name;
      std::map<std::string, std::shared_ptr<Rows>> changed;
      for (const auto& [epoch, batch] : pending_) {
        if (epoch > record.epoch) continue;
        for (const auto& e : batch) {
          auto name = by_id.find(e.table_id);
          if (name == by_id.end()) continue;  // dropped: its rows are invisible for good
          auto& rows = changed[name->second];
          if (!rows) rows = std::make_shared<Rows>(*state->tables[name->second].rows);
          if (e.is_delete) {
            rows->erase(e.key);
          } else {
            (*rows)[e.key] = e.value;
          }
        }
      }
      for (auto& [name, rows] : changed) state->tables[name].rows = std::move(rows);
      std::erase_if(pending_, [&](const auto& p) { return p.first <= record.epoch; });
    }
    next.state = std::move(state);
  }
  timelines_.back().Append(std::move(next));
  return summary;
}

}  // namespace cairn::sim
