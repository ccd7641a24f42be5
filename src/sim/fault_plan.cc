#include "sim/fault_plan.h"

#include <cstdio>

namespace cairn::sim {
namespace {

// Off half of the time; otherwise one of a few rates (ppm), mostly low.
uint32_t DrawPpm(Random* rng) {
  static const uint32_t kRates[] = {2000, 5000, 10000, 20000, 50000};
  if (rng->Percent(50)) return 0;
  return kRates[rng->Uniform(sizeof(kRates) / sizeof(kRates[0]))];
}

uint32_t DrawPercent(Random* rng) {
  static const uint32_t kRates[] = {1, 2, 5, 10};
  if (rng->Percent(50)) return 0;
  return kRates[rng->Uniform(sizeof(kRates) / sizeof(kRates[0]))];
}

ObjectFaults DrawObjectFaults(Random* rng) {
  ObjectFaults f;
  f.put_before = DrawPpm(rng);
  f.put_after = DrawPpm(rng);
  f.get = DrawPpm(rng);
  f.list = DrawPpm(rng);
  f.del = DrawPpm(rng);
  return f;
}

std::string Ppm(uint32_t ppm) {
  if (ppm == 0) return "off";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g%%", ppm / 10000.0);
  return buf;
}

std::string Pct(uint32_t pct) { return pct == 0 ? "off" : std::to_string(pct) + "%"; }

std::string DescribeObject(const ObjectFaults& f) {
  return "put " + Ppm(f.put_before) + " ack-lost " + Ppm(f.put_after) + " get " + Ppm(f.get) +
         " list " + Ppm(f.list) + " delete " + Ppm(f.del);
}

const char* Pick(Random* rng, std::initializer_list<const char*> values) {
  uint64_t i = rng->Uniform(values.size());
  return *(values.begin() + i);
}

}  // namespace

FaultPlan DrawFaultPlan(Random* rng, uint64_t seed) {
  FaultPlan plan;
  plan.meta_before_percent = DrawPercent(rng);
  plan.meta_after_percent = DrawPercent(rng);
  plan.meta_read_percent = DrawPercent(rng);
  plan.data = DrawObjectFaults(rng);
  plan.backup = DrawObjectFaults(rng);
  plan.crash_point_weight = rng->Percent(50) ? 0 : 1 + static_cast<uint32_t>(rng->Uniform(4));
  Random later(seed ^ 0x6c61746572ULL);
  plan.meta_compacted_percent =
      later.Percent(40) ? 1 + static_cast<uint32_t>(later.Uniform(20)) : 0;
  return plan;
}

ParamPlan DrawParamPlan(Random* rng) {
  ParamPlan plan;
  plan.checkpoint_interval = DrawParamValue(rng, "checkpoint_interval");
  plan.pitr_retention = DrawParamValue(rng, "pitr_retention");
  plan.vacuum_min_age = DrawParamValue(rng, "vacuum_min_age");
  return plan;
}

std::string DrawParamValue(Random* rng, const std::string& name) {
  if (name == "checkpoint_interval") return Pick(rng, {"500ms", "1s", "2s"});
  if (name == "pitr_retention") return Pick(rng, {"0", "10s", "1m", "5m"});
  return Pick(rng, {"0", "1s", "30s"});
}

std::string DescribeFaultPlan(const FaultPlan& plan) {
  return "meta: before " + Pct(plan.meta_before_percent) + " ack-lost " +
         Pct(plan.meta_after_percent) + " read " + Pct(plan.meta_read_percent) + " compacted " +
         Pct(plan.meta_compacted_percent) + "; data: " + DescribeObject(plan.data) +
         "; backup: " + DescribeObject(plan.backup) + "; crash points " +
         (plan.crash_point_weight ? "on" : "off");
}

}  // namespace cairn::sim
