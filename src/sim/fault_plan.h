// Swarm testing (TigerBeetle's VOPR, Groce et al.): every seed turns each fault kind on
// or off and picks its rate, and picks the system params it runs with, so that across
// seeds every combination is tried — including the quiet ones in which a rare
// interleaving is not drowned by unrelated failures.
#pragma once

#include <cstdint>
#include <string>

#include "common/random.h"

namespace cairn::sim {

// Rates in parts per million (0 = off).
struct ObjectFaults {
  uint32_t put_before = 0;  // put / writer ops fail, nothing written
  uint32_t put_after = 0;   // put / writer finish applied, ack lost
  uint32_t get = 0;         // get / range get / head fail
  uint32_t list = 0;        // list fails
  uint32_t del = 0;         // delete fails (half before, half after apply)
};

struct FaultPlan {
  uint32_t meta_before_percent = 0;     // meta commit fails, nothing applied
  uint32_t meta_after_percent = 0;      // meta commit applied, ack lost
  uint32_t meta_read_percent = 0;       // meta snapshot read fails
  uint32_t meta_compacted_percent = 0;  // a read at an older snapshot revision is compacted
  ObjectFaults data;                    // the cluster's object store
  ObjectFaults backup;                  // backup storage
  uint32_t crash_point_weight = 0;      // weight of the "crash inside an operation" action
};

// The params a seed's cluster runs with (only values the oracle can reason about).
struct ParamPlan {
  std::string checkpoint_interval;  // "500ms" | "1s" | "2s"
  std::string pitr_retention;       // "0" | "10s" | "1m" | "5m"
  std::string vacuum_min_age;       // "0" | "1s" | "30s"
};

// `seed` draws the fault kinds added after the first version on a stream of their own, so
// that adding one leaves the histories of the seeds that do not turn it on unchanged.
FaultPlan DrawFaultPlan(Random* rng, uint64_t seed);
ParamPlan DrawParamPlan(Random* rng);

// "meta: before 2% after off read 1%; data: put 0.5%/off get off ..." for the seed header.
std::string DescribeFaultPlan(const FaultPlan& plan);

// Safe values for `param set` during a run (same menus as DrawParamPlan).
std::string DrawParamValue(Random* rng, const std::string& name);

}  // namespace cairn::sim
