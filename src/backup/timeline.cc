#include "backup/timeline.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "meta/time_spec.h"

namespace cairn {

using nlohmann::json;

std::string TimelineKey(uint32_t timeline) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08u.json", timeline);
  return std::string(kTimelinePrefix) + buf;
}

std::string EncodeTimeline(const TimelineHistory& h) {
  json doc = {{"format_version", 1},
              {"timeline", h.timeline},
              {"parent", h.parent},
              {"branch_seq", h.branch_seq},
              {"branch_epoch", h.branch_epoch},
              {"branch_ms", h.branch_ms},
              {"created_ms", h.created_ms},
              {"first_object_id", h.first_object_id},
              {"restore", h.restore},
              {"cluster_id", h.cluster_id}};
  return doc.dump(2) + "\n";
}

Result<TimelineHistory> DecodeTimeline(std::string_view bytes, const std::string& where) {
  json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Corruption("timeline history " + where + " is not valid JSON");
  }
  try {
    if (doc.at("format_version").get<uint32_t>() > 1) {
      return Status::NotSupported("timeline history " + where +
                                  " has a newer format version; upgrade cairn");
    }
    TimelineHistory h;
    doc.at("timeline").get_to(h.timeline);
    doc.at("parent").get_to(h.parent);
    doc.at("branch_seq").get_to(h.branch_seq);
    doc.at("branch_epoch").get_to(h.branch_epoch);
    doc.at("branch_ms").get_to(h.branch_ms);
    doc.at("created_ms").get_to(h.created_ms);
    doc.at("first_object_id").get_to(h.first_object_id);
    doc.at("restore").get_to(h.restore);
    doc.at("cluster_id").get_to(h.cluster_id);
    if (h.timeline < 2 || h.parent < 1 || h.parent >= h.timeline) {
      return Status::Corruption("timeline history " + where + ": timeline " +
                                std::to_string(h.timeline) + " with parent " +
                                std::to_string(h.parent) + " (a parent is older)");
    }
    return h;
  } catch (const json::exception& e) {
    return Status::Corruption("timeline history " + where + ": missing or mistyped field (" +
                              e.what() + ")");
  }
}

Result<TimelineMap> LoadTimelines(ObjectStore* store) {
  TimelineMap out;
  out[1] = TimelineHistory{};
  std::vector<std::string> keys;
  CAIRN_RETURN_IF_ERROR(ListAll(*store, kTimelinePrefix, [&](const ObjectMeta& m) {
    keys.push_back(m.key);
    return Status::OK();
  }));
  for (const std::string& key : keys) {
    std::string where = key + " in " + store->DescribeForLog();
    CAIRN_ASSIGN_OR_RETURN(std::string bytes, store->Get(key));
    CAIRN_ASSIGN_OR_RETURN(TimelineHistory h, DecodeTimeline(bytes, where));
    if (TimelineKey(h.timeline) != key) {
      return Status::Corruption("timeline history " + where + " names timeline " +
                                std::to_string(h.timeline));
    }
    out[h.timeline] = std::move(h);
  }
  for (const auto& [n, h] : out) {
    if (n > 1 && !out.count(h.parent)) {
      return Status::Corruption("timeline " + std::to_string(n) + " in " + store->DescribeForLog() +
                                " names parent timeline " + std::to_string(h.parent) +
                                ", which has no history object");
    }
  }
  return out;
}

Status WriteTimeline(ObjectStore* store, const TimelineHistory& history) {
  Status s = store->PutIfAbsent(TimelineKey(history.timeline), EncodeTimeline(history));
  if (s.code() == ErrorCode::kAlreadyExists) {
    return Status::AlreadyExists("timeline " + std::to_string(history.timeline) + " of " +
                                 store->DescribeForLog() +
                                 " was just taken by another restore; rerun cairn restore");
  }
  return s;
}

uint32_t NewestTimeline(const TimelineMap& timelines) { return timelines.rbegin()->first; }

Result<std::vector<PathStep>> TimelinePath(const TimelineMap& timelines, uint32_t target) {
  auto it = timelines.find(target);
  if (it == timelines.end()) {
    std::string known;
    for (const auto& [n, h] : timelines) known += (known.empty() ? "" : ", ") + std::to_string(n);
    return Status::NotFound("timeline " + std::to_string(target) +
                            " does not exist in this backup storage (timelines: " + known + ")");
  }
  std::vector<PathStep> path{{target, kWholeTimeline}};
  while (it->second.parent != 0) {
    uint64_t through = it->second.branch_seq;
    it = timelines.find(it->second.parent);
    path.push_back({it->first, std::min(through, path.back().through_seq)});
  }
  return path;
}

void FilterToPath(const std::vector<PathStep>& path, Manifest* manifest,
                  std::vector<SegmentInfo>* segments) {
  auto through = [&](uint32_t timeline) -> std::optional<uint64_t> {
    for (const auto& step : path) {
      if (step.timeline == timeline) return step.through_seq;
    }
    return std::nullopt;
  };
  std::erase_if(manifest->snapshots, [&](const SnapshotEntry& s) {
    auto limit = through(s.timeline);
    return !limit || s.changelog_seq > *limit;
  });
  std::vector<SegmentInfo> kept;
  for (SegmentInfo seg : *segments) {
    auto limit = through(seg.timeline);
    if (!limit || seg.first_seq > *limit) continue;
    seg.through_seq = std::min(seg.last_seq, *limit);
    kept.push_back(std::move(seg));
  }
  std::sort(kept.begin(), kept.end(), [](const SegmentInfo& a, const SegmentInfo& b) {
    return a.first_seq != b.first_seq ? a.first_seq < b.first_seq : a.timeline > b.timeline;
  });
  *segments = std::move(kept);
}

std::string DescribeTimeline(const TimelineHistory& h) {
  if (h.timeline <= 1) return "timeline 1";
  return "timeline " + std::to_string(h.timeline) + " (from timeline " + std::to_string(h.parent) +
         " at seq " + std::to_string(h.branch_seq) + ", " + FormatRfc3339Millis(h.branch_ms) +
         "; " + h.restore + ")";
}

}  // namespace cairn
